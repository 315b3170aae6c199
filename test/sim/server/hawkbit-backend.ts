// The hawkBit side of the dev server: targets, tokens, actions with chunks and artifacts, feedback, cancel, configData.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HandlerContext, RecordedRequest, Reply } from "./dev-server.js";
import { serveRange } from "./range-download.js";

export interface HawkbitBackendOptions {
  tenant?: string;
  /** Tenant-wide gateway token (GatewayToken auth); unset = gateway auth disabled. */
  gatewayToken?: string;
  /** config.polling.sleep the base resource returns (default "00:05:00"). */
  sleep?: string;
}

export interface HawkbitTarget {
  controllerId: string;
  /** TargetToken; unset = only gateway auth works for this target. */
  token?: string;
  attributes: Record<string, string>;
  configDataRequested: boolean;
  configDataCalls: { mode?: string; data: Record<string, string> }[];
}

export interface HawkbitArtifact {
  filename: string;
  data: Buffer;
  softwareModuleId: number;
  /** A SHA-256 the server announces instead of the data's own (storage holding other bytes than were uploaded). */
  announcedSha256?: string;
}

export interface DdiFeedback {
  timestamp?: number;
  status: { execution: string; result: { finished: string; progress?: { cnt: number; of?: number } }; code?: number; details?: string[] };
}

export interface HawkbitAction {
  id: number;
  controllerId: string;
  chunk: { part: string; name: string; version: string; metadata?: { key: string; value: string }[] };
  artifacts: HawkbitArtifact[];
  download: "skip" | "attempt" | "forced";
  update: "skip" | "attempt" | "forced";
  maintenanceWindow?: "available" | "unavailable";
  /** "waiting" = needs the device's confirmation first (user consent flow). */
  state: "waiting" | "open" | "canceling" | "canceled" | "closed";
  confirmations: { confirmation: string; details?: string[] }[];
  feedback: DdiFeedback[];
  cancelFeedback: DdiFeedback[];
}

const ENDPOINTS: Record<string, string> = {
  "GET /{tenant}/controller/v1/{controllerId}": "hawkbit.base",
  "GET /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}": "hawkbit.deploymentBase",
  "POST /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}/feedback": "hawkbit.feedback",
  "GET /{tenant}/controller/v1/{controllerId}/cancelAction/{actionId}": "hawkbit.cancelAction",
  "POST /{tenant}/controller/v1/{controllerId}/cancelAction/{actionId}/feedback": "hawkbit.cancelFeedback",
  "PUT /{tenant}/controller/v1/{controllerId}/configData": "hawkbit.configData",
  "GET /{tenant}/controller/v1/{controllerId}/softwaremodules/{softwareModuleId}/artifacts/{fileName}": "hawkbit.download",
  "GET /{tenant}/controller/v1/{controllerId}/confirmationBase/{actionId}": "hawkbit.confirmationBase",
  "POST /{tenant}/controller/v1/{controllerId}/confirmationBase/{actionId}/feedback": "hawkbit.confirmationFeedback",
};

export class HawkbitBackend {
  readonly targets = new Map<string, HawkbitTarget>();
  readonly actions = new Map<number, HawkbitAction>();
  readonly tenant: string;
  readonly gatewayToken: string | undefined;
  sleep: string;
  readonly #base: string;
  #nextId = 1;

  constructor(base: string, options: HawkbitBackendOptions = {}) {
    this.#base = base;
    this.tenant = options.tenant ?? "DEFAULT";
    this.gatewayToken = options.gatewayToken;
    this.sleep = options.sleep ?? "00:05:00";
  }

  // --- admin API -------------------------------------------------------------------------------------------------

  addTarget(controllerId: string, token?: string): HawkbitTarget {
    const t: HawkbitTarget = { controllerId, ...(token ? { token } : {}), attributes: {}, configDataRequested: false, configDataCalls: [] };
    this.targets.set(controllerId, t);
    return t;
  }

  createAction(spec: {
    controllerId: string;
    artifacts: { filename: string; data: Buffer | string; announcedSha256?: string }[];
    name?: string;
    version?: string;
    download?: HawkbitAction["download"];
    update?: HawkbitAction["update"];
    maintenanceWindow?: HawkbitAction["maintenanceWindow"];
    metadata?: { key: string; value: string }[];
    confirmationRequired?: boolean;
  }): number {
    const id = this.#nextId++;
    const smId = 100 + id;
    this.actions.set(id, {
      id,
      controllerId: spec.controllerId,
      chunk: { part: "os", name: spec.name ?? "rootfs", version: spec.version ?? `1.0.${id}`, ...(spec.metadata ? { metadata: spec.metadata } : {}) },
      artifacts: spec.artifacts.map((a) => ({
        filename: a.filename,
        data: typeof a.data === "string" ? readFileSync(a.data) : a.data,
        softwareModuleId: smId,
        ...(a.announcedSha256 ? { announcedSha256: a.announcedSha256 } : {}),
      })),
      download: spec.download ?? "forced",
      update: spec.update ?? "forced",
      ...(spec.maintenanceWindow ? { maintenanceWindow: spec.maintenanceWindow } : {}),
      state: spec.confirmationRequired ? "waiting" : "open",
      confirmations: [],
      feedback: [],
      cancelFeedback: [],
    });
    return id;
  }

  /** The operator cancels an action: the device sees `cancelAction` on its next poll. */
  cancel(actionId: number): void {
    const a = this.actions.get(actionId);
    if (a && a.state === "open") a.state = "canceling";
  }

  requestConfigData(controllerId: string): void {
    const t = this.targets.get(controllerId);
    if (t) t.configDataRequested = true;
  }

  /** "execution/finished" strings of the feedback an action received, in order. */
  feedbackSummary(actionId: number): string[] {
    return (this.actions.get(actionId)?.feedback ?? []).map((f) => `${f.status.execution}/${f.status.result.finished}`);
  }

  // --- request handling ------------------------------------------------------------------------------------------

  endpointOf(key: string): string {
    return ENDPOINTS[key] ?? `hawkbit.unhandled ${key}`;
  }

  handle(key: string, ctx: HandlerContext, _record: RecordedRequest): Reply {
    if (ctx.params["tenant"] !== this.tenant) return { status: 404, body: { message: "unknown tenant" } };
    const target = this.#authorize(ctx);
    if (!target) return { status: 401, body: { message: "unauthorized" } };
    const actionId = Number(ctx.params["actionId"]);
    const action = this.actions.get(actionId);
    const ownAction = action && action.controllerId === target.controllerId ? action : undefined;
    switch (key) {
      case "GET /{tenant}/controller/v1/{controllerId}":
        return { status: 200, headers: { "Content-Type": "application/hal+json" }, body: this.#base_(target) };
      case "GET /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}":
        if (!ownAction) return { status: 404, body: { message: "action not found" } };
        return { status: 200, headers: { "Content-Type": "application/hal+json" }, body: this.#deploymentBase(ownAction) };
      case "POST /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}/feedback": {
        if (!ownAction) return { status: 404, body: { message: "action not found" } };
        if (ownAction.state !== "open" && ownAction.state !== "canceling") return { status: 410, body: { message: "action not active anymore" } };
        const fb = ctx.json as DdiFeedback;
        ownAction.feedback.push(fb);
        if (fb.status.execution === "closed") ownAction.state = "closed";
        return { status: 200 };
      }
      case "GET /{tenant}/controller/v1/{controllerId}/cancelAction/{actionId}":
        if (!ownAction || ownAction.state !== "canceling") return { status: 404, body: { message: "no cancel action" } };
        return { status: 200, body: { id: String(ownAction.id), cancelAction: { stopId: String(ownAction.id) } } };
      case "POST /{tenant}/controller/v1/{controllerId}/cancelAction/{actionId}/feedback": {
        if (!ownAction || ownAction.state !== "canceling") return { status: 404, body: { message: "no cancel action" } };
        const fb = ctx.json as DdiFeedback;
        ownAction.cancelFeedback.push(fb);
        if (fb.status.execution === "closed" || fb.status.execution === "canceled") ownAction.state = "canceled";
        if (fb.status.execution === "rejected") ownAction.state = "open";
        return { status: 200 };
      }
      case "GET /{tenant}/controller/v1/{controllerId}/confirmationBase/{actionId}": {
        if (!ownAction || ownAction.state !== "waiting") return { status: 404, body: { message: "no action awaiting confirmation" } };
        const base = this.#deploymentBase(ownAction) as { id: string; deployment: unknown };
        return { status: 200, body: { id: base.id, confirmation: base.deployment } };
      }
      case "POST /{tenant}/controller/v1/{controllerId}/confirmationBase/{actionId}/feedback": {
        if (!ownAction || ownAction.state !== "waiting") return { status: 410, body: { message: "action not awaiting confirmation" } };
        const body = ctx.json as { confirmation: string; details?: string[] };
        ownAction.confirmations.push(body);
        if (body.confirmation === "confirmed") ownAction.state = "open";
        return { status: 200 };
      }
      case "PUT /{tenant}/controller/v1/{controllerId}/configData": {
        const body = ctx.json as { mode?: string; data: Record<string, string> };
        target.configDataCalls.push(body);
        if (body.mode === "replace") target.attributes = { ...body.data };
        else if (body.mode === "remove") for (const k of Object.keys(body.data)) delete target.attributes[k];
        else Object.assign(target.attributes, body.data);
        target.configDataRequested = false;
        return { status: 200 };
      }
      case "GET /{tenant}/controller/v1/{controllerId}/softwaremodules/{softwareModuleId}/artifacts/{fileName}": {
        const smId = Number(ctx.params["softwareModuleId"]);
        const artifact = [...this.actions.values()]
          .filter((a) => a.controllerId === target.controllerId)
          .flatMap((a) => a.artifacts)
          .find((a) => a.softwareModuleId === smId && a.filename === ctx.params["fileName"]);
        if (!artifact) return { status: 404, body: { message: "artifact not found" } };
        const drop = ctx.fault?.kind === "drop" ? Math.floor(artifact.data.length / 2) : undefined;
        serveRange(ctx.req, ctx.res, artifact.data, drop === undefined ? {} : { dropAfterBytes: drop });
        return "sent";
      }
      default:
        return { status: 404, body: { message: `not served by the dev server: ${key}` } };
    }
  }

  /** TargetToken of this target, or the tenant's GatewayToken (which may register a new target, as hawkBit does). */
  #authorize(ctx: HandlerContext): HawkbitTarget | undefined {
    const controllerId = ctx.params["controllerId"] ?? "";
    const auth = ctx.req.headers.authorization ?? "";
    let target = this.targets.get(controllerId);
    const m = /^(TargetToken|GatewayToken) (\S+)$/.exec(auth);
    if (!m) return undefined;
    if (m[1] === "GatewayToken") {
      if (this.gatewayToken === undefined || m[2] !== this.gatewayToken) return undefined;
      target ??= this.addTarget(controllerId);
      return target;
    }
    return target?.token !== undefined && target.token === m[2] ? target : undefined;
  }

  #prefix(controllerId: string): string {
    return `${this.#base}/${this.tenant}/controller/v1/${encodeURIComponent(controllerId)}`;
  }

  #base_(target: HawkbitTarget): unknown {
    const links: Record<string, { href: string }> = {};
    const prefix = this.#prefix(target.controllerId);
    const mine = [...this.actions.values()].filter((a) => a.controllerId === target.controllerId);
    const canceling = mine.find((a) => a.state === "canceling");
    const open = mine.find((a) => a.state === "open");
    const waiting = mine.find((a) => a.state === "waiting");
    if (waiting && !open && !canceling) links["confirmationBase"] = { href: `${prefix}/confirmationBase/${waiting.id}?c=${hashCode(String(waiting.id))}` };
    if (canceling) links["cancelAction"] = { href: `${prefix}/cancelAction/${canceling.id}` };
    else if (open) links["deploymentBase"] = { href: `${prefix}/deploymentBase/${open.id}?c=${hashCode(`${open.id}:${open.update}:${open.maintenanceWindow ?? ""}`)}` };
    if (target.configDataRequested) links["configData"] = { href: `${prefix}/configData` };
    return { config: { polling: { sleep: this.sleep } }, _links: links };
  }

  #deploymentBase(action: HawkbitAction): unknown {
    const prefix = this.#prefix(action.controllerId);
    return {
      id: String(action.id),
      deployment: {
        download: action.download,
        update: action.update,
        ...(action.maintenanceWindow ? { maintenanceWindow: action.maintenanceWindow } : {}),
        chunks: [
          {
            ...action.chunk,
            artifacts: action.artifacts.map((a) => {
              const href = `${prefix}/softwaremodules/${a.softwareModuleId}/artifacts/${encodeURIComponent(a.filename)}`;
              return {
                filename: a.filename,
                size: a.data.length,
                hashes: {
                  sha1: createHash("sha1").update(a.data).digest("hex"),
                  md5: createHash("md5").update(a.data).digest("hex"),
                  sha256: a.announcedSha256 ?? createHash("sha256").update(a.data).digest("hex"),
                },
                _links: { download: { href }, "download-http": { href }, md5sum: { href: `${href}.MD5SUM` } },
              };
            }),
          },
        ],
      },
    };
  }
}

/** A Java-style 32-bit string hash, like the `c` query parameter hawkBit puts in deploymentBase links. */
function hashCode(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}
