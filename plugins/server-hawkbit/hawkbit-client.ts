// HawkbitClient: the hawkBit DDI API (poll, deploymentBase, feedback, cancelAction, configData) as a DeploymentServer.
import type {
  Deployment,
  DeploymentLogLine,
  DeploymentServer,
  DeploymentStatus,
  InstalledState,
  NothingToDo,
  ServerPollPolicy,
  StatusReport,
} from "../../core/capabilities/deployment-server.js";
import type { InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError, isOtaError } from "../../core/errors/index.js";
import type { HawkbitConfig } from "./config.js";
import { ServerHttp } from "../../core/net/server-http.js";
import { parseJsonReply, statusError, type ExchangeReply, type ExchangeRequest } from "../../core/net/http-exchange.js";
import { parsePollSleep } from "./poll-sleep.js";

export interface HawkbitClientOptions {
  platform: Platform;
  log: Logger;
  config: HawkbitConfig;
  inventoryProviders?: () => readonly InventoryProvider[];
}

type Execution = "closed" | "proceeding" | "canceled" | "scheduled" | "rejected" | "resumed" | "downloaded" | "download";
type Finished = "success" | "failure" | "none";

interface Feedback {
  timestamp: number;
  status: { execution: Execution; result: { finished: Finished; progress?: { cnt: number; of: number } }; details?: string[] };
}

/** How each agent status maps onto DDI feedback (execution values as the DDI document lists them). */
const FEEDBACK: Record<DeploymentStatus, { execution: Execution; finished: Finished }> = {
  downloading: { execution: "download", finished: "none" },
  pause_before_installing: { execution: "downloaded", finished: "none" },
  installing: { execution: "proceeding", finished: "none" },
  pause_before_rebooting: { execution: "proceeding", finished: "none" },
  rebooting: { execution: "proceeding", finished: "none" },
  pause_before_committing: { execution: "proceeding", finished: "none" },
  success: { execution: "closed", finished: "success" },
  failure: { execution: "closed", finished: "failure" },
  "already-installed": { execution: "closed", finished: "success" },
};

/** hawkBit keeps at most 50 messages per action status. */
const MAX_DETAILS = 50;
const MAX_DETAIL_CHARS = 512;
/** hawkBit keeps at most 100 attributes per target. */
const MAX_ATTRIBUTES = 100;

interface FeedbackState {
  sent: number;
  lastExecution?: Execution;
  lastDetail?: string;
  lastProgress?: number;
  lastAt?: number;
}

interface Links {
  deploymentBase?: string;
  cancelAction?: string;
  configData?: string;
  confirmationBase?: string;
}

/**
 * One instance per agent. Polls the controller base; follows `_links` as the server gives them (never builds
 * deploymentBase or download URLs itself). A failure status is held until `uploadLog` (or the next call) so the log
 * lines can travel in the closing feedback: hawkBit accepts no feedback once an action is closed.
 */
export class HawkbitClient implements DeploymentServer {
  readonly name = "server-hawkbit";
  readonly #platform: Platform;
  readonly #log: Logger;
  readonly #config: HawkbitConfig;
  readonly #providers: () => readonly InventoryProvider[];
  readonly #base: URL;
  readonly #prefix: string;
  readonly #pattern: RegExp;
  #verified = false;
  #sleepMs: number | undefined;
  readonly #http: ServerHttp;
  readonly #feedback = new Map<string, FeedbackState>();
  readonly #cancelled = new Set<string>();
  #pendingClose: { actionId: string; feedback: Feedback } | undefined;

  constructor(options: HawkbitClientOptions) {
    this.#platform = options.platform;
    this.#log = options.log;
    this.#config = options.config;
    this.#providers = options.inventoryProviders ?? (() => []);
    this.#base = new URL(options.config.serverUrl);
    const root = this.#base.href.replace(/\/+$/, "");
    this.#prefix = `${root}/${encodeURIComponent(options.config.tenant)}/controller/v1/${encodeURIComponent(options.config.controllerId)}`;
    this.#pattern = new RegExp(options.config.artifactPattern);
    this.#http = new ServerHttp(options.platform.fs, options.log, options.config);
  }

  pollPolicy(): ServerPollPolicy {
    return {
      updatePollIntervalMs: this.#sleepMs ?? this.#config.defaultPollSeconds * 1000,
      inventoryPollIntervalMs: this.#config.inventoryPollIntervalSeconds * 1000,
      retryPollIntervalMs: this.#config.retryPollIntervalSeconds * 1000,
      retryPollCount: this.#config.retryPollCount,
    };
  }

  /** Retry-After when the server sent one, else the shorter of the server's sleep and the retry cap. */
  retryDelayMs(error: unknown, failures: number, regularMs: number): number {
    if (isOtaError(error) && typeof error.details["retryAfterMs"] === "number") return error.details["retryAfterMs"];
    if (this.#config.retryPollCount > 0 && failures > this.#config.retryPollCount) return regularMs;
    return Math.min(regularMs, this.#config.retryPollIntervalSeconds * 1000);
  }

  /** The token goes only to the server's own origin, and only when configured (CDNs reject unexpected auth). */
  downloadHeaders(deployment: Deployment): Record<string, string> {
    const auth = this.#authorization();
    if (!auth || !this.#config.sendDownloadAuthentication) return {};
    try {
      return new URL(deployment.uri).origin === this.#base.origin ? { Authorization: auth } : {};
    } catch {
      return {};
    }
  }

  /** Checks the credentials once with a poll of the controller base; idempotent. */
  async authenticate(signal?: AbortSignal): Promise<void> {
    if (this.#verified) return;
    await this.#pollBase(signal);
  }

  async nextDeployment(installed: InstalledState, signal?: AbortSignal): Promise<Deployment | NothingToDo> {
    await this.#flushPendingClose(signal);
    const links = await this.#pollBase(signal);
    const nothing = (): NothingToDo => ({ kind: "nothing", ...(this.#sleepMs === undefined ? {} : { retryAfterMs: this.#sleepMs }) });
    if (links.configData) {
      try {
        await this.sendInventory({}, signal);
      } catch (err) {
        this.#log.warn({ event: "server.configdata.failed", err }, "configData upload failed; retried at the next poll");
      }
    }
    if (links.cancelAction) {
      await this.#acknowledgeCancel(links.cancelAction, signal);
      return nothing();
    }
    let deploymentHref = links.deploymentBase;
    if (!deploymentHref && links.confirmationBase && /\/confirmationBase\/\d+/.test(links.confirmationBase)) {
      if (!this.#config.autoConfirm) {
        this.#log.info({ event: "server.deployment.awaiting-confirmation" }, "an action waits for confirmation on the server (autoConfirm is off)");
        return nothing();
      }
      await this.#confirm(links.confirmationBase, signal);
      deploymentHref = (await this.#pollBase(signal)).deploymentBase;
    }
    if (!deploymentHref) return nothing();
    const deployment = await this.#fetchDeployment(deploymentHref, signal);
    if (deployment.artifactName === installed.artifactName && deployment.policy.update !== "skip") {
      await this.#postFeedback(deployment.id, this.#feedbackBody("already-installed", ["already installed"]), signal);
      this.#log.info({ event: "server.deployment.already-installed", deploymentId: deployment.id }, "deployment is already installed");
      return nothing();
    }
    return deployment;
  }

  async reportStatus(deployment: Deployment, report: StatusReport, signal?: AbortSignal): Promise<"ok" | "aborted"> {
    const actionId = deployment.id;
    if (this.#pendingClose?.actionId !== actionId) await this.#flushPendingClose(signal);
    if (this.#cancelled.has(actionId)) return "aborted";
    const mapping = FEEDBACK[report.status];
    const final = mapping.execution === "closed";
    const state = this.#feedback.get(actionId) ?? { sent: 0 };
    this.#feedback.set(actionId, state);
    const progressOnly =
      !final && state.lastExecution === mapping.execution && state.lastDetail === (report.substate ?? report.status) && report.progress !== undefined;
    if (progressOnly && !this.#progressDue(state, report.progress as number)) return "ok";
    if (!final && state.sent >= this.#config.maxFeedbackPerAction) return "ok";
    // Only state changes look for a cancel: one extra poll per state, none per progress tick.
    if (!final && !progressOnly) {
      const links = await this.#pollBase(signal);
      if (links.cancelAction && (await this.#acknowledgeCancel(links.cancelAction, signal)) === actionId) return "aborted";
    }
    const details = [report.substate ?? report.status];
    const body = this.#feedbackBody(report.status, details, report.progress);
    if (report.status === "failure") {
      this.#pendingClose = { actionId, feedback: body };
      return "ok";
    }
    const critical = report.critical ?? false;
    const result = await this.#withRetries(critical, signal, () => this.#postFeedback(actionId, body, signal));
    state.sent++;
    state.lastExecution = mapping.execution;
    state.lastDetail = report.substate ?? report.status;
    state.lastAt = this.#platform.clock.monotonic();
    if (report.progress !== undefined) state.lastProgress = report.progress;
    return result;
  }

  /** Sends the held failure with the log's newest lines as details (hawkBit keeps 50 per status). */
  async uploadLog(deployment: Deployment, lines: readonly DeploymentLogLine[], signal?: AbortSignal): Promise<void> {
    const pending = this.#pendingClose;
    if (pending?.actionId !== deployment.id) {
      this.#log.info({ event: "server.log.not-sent", deploymentId: deployment.id }, "hawkBit takes no log once an action is closed; log kept locally");
      return;
    }
    const head = pending.feedback.status.details ?? [];
    const room = MAX_DETAILS - head.length;
    const tail = room > 0 ? lines.slice(-room).map((l) => `${l.timestamp} ${l.level} ${l.message}`.slice(0, MAX_DETAIL_CHARS)) : [];
    pending.feedback.status.details = [...head, ...tail];
    await this.#flushPendingClose(signal);
  }

  /** configData (merge): provider attributes then `attributes`; arrays joined with ", "; at most 100 keys. */
  async sendInventory(attributes: Record<string, string | string[]>, signal?: AbortSignal): Promise<void> {
    const merged: Record<string, string | string[]> = {};
    for (const provider of this.#providers()) {
      try {
        Object.assign(merged, await provider.collect(signal));
      } catch (err) {
        this.#log.warn({ event: "server.inventory.provider-failed", provider: provider.name, err }, "inventory provider failed; skipped");
      }
    }
    Object.assign(merged, attributes);
    const keys = Object.keys(merged).sort();
    if (keys.length > MAX_ATTRIBUTES) {
      this.#log.warn({ event: "server.configdata.truncated", attributes: keys.length }, "hawkBit keeps at most 100 attributes; the rest are not sent");
    }
    const data: Record<string, string> = {};
    for (const key of keys.slice(0, MAX_ATTRIBUTES)) {
      const value = merged[key] as string | string[];
      data[key] = Array.isArray(value) ? value.join(", ") : value;
    }
    const reply = await this.#request("PUT configData", "PUT", `${this.#prefix}/configData`, { mode: "merge", data }, signal);
    if (reply.status !== 200 && reply.status !== 204) throw statusError(reply, "PUT configData", this.#platform.clock.now());
    this.#log.info({ event: "server.inventory.sent", attributes: Object.keys(data).length }, "configData sent");
  }

  /** Sends a held closing feedback, if any (idempotent; 410 means the server already closed it). */
  async close(signal?: AbortSignal): Promise<void> {
    await this.#flushPendingClose(signal);
  }

  async #flushPendingClose(signal?: AbortSignal): Promise<void> {
    const pending = this.#pendingClose;
    if (!pending) return;
    this.#pendingClose = undefined;
    try {
      await this.#withRetries(true, signal, () => this.#postFeedback(pending.actionId, pending.feedback, signal));
    } catch (err) {
      this.#pendingClose ??= pending;
      throw err;
    }
  }

  #progressDue(state: FeedbackState, progress: number): boolean {
    const stepOk = state.lastProgress === undefined || Math.abs(progress - state.lastProgress) >= this.#config.progressStepPercent || progress >= 100;
    const timeOk = state.lastAt === undefined || this.#platform.clock.monotonic() - state.lastAt >= this.#config.minFeedbackIntervalSeconds * 1000;
    return stepOk && timeOk;
  }

  #feedbackBody(status: DeploymentStatus, details: string[], progress?: number): Feedback {
    const m = FEEDBACK[status];
    const result: Feedback["status"]["result"] = { finished: m.finished };
    if (progress !== undefined) result.progress = { cnt: Math.max(0, Math.min(100, Math.round(progress))), of: 100 };
    return {
      timestamp: this.#platform.clock.now(),
      status: { execution: m.execution, result, details: details.map((d) => d.slice(0, MAX_DETAIL_CHARS)) },
    };
  }

  /** POSTs deploymentBase feedback; 410 Gone (action no longer active, e.g. cancelled) → "aborted". */
  async #postFeedback(actionId: string, body: Feedback, signal?: AbortSignal): Promise<"ok" | "aborted"> {
    const endpoint = `POST feedback ${body.status.execution}`;
    const reply = await this.#request(endpoint, "POST", `${this.#prefix}/deploymentBase/${encodeURIComponent(actionId)}/feedback`, body, signal);
    if (reply.status === 410) {
      this.#log.warn({ event: "server.deployment.aborted", deploymentId: actionId }, "server no longer accepts feedback for this action");
      return "aborted";
    }
    if (reply.status !== 200 && reply.status !== 204) throw statusError(reply, endpoint, this.#platform.clock.now());
    return "ok";
  }

  /** GETs the cancel action, confirms it (closed + success) and remembers the stopped action id, which it returns. */
  async #acknowledgeCancel(href: string, signal?: AbortSignal): Promise<string> {
    const reply = await this.#request("GET cancelAction", "GET", href, undefined, signal);
    if (reply.status !== 200) throw statusError(reply, "GET cancelAction", this.#platform.clock.now());
    const raw = parseJsonReply(reply, "GET cancelAction") as { id?: unknown; cancelAction?: { stopId?: unknown } };
    const id = typeof raw.id === "string" || typeof raw.id === "number" ? String(raw.id) : undefined;
    const stopId = raw.cancelAction?.stopId;
    if (id === undefined || !/^\d+$/.test(id) || (typeof stopId !== "string" && typeof stopId !== "number")) {
      throw new OtaError("OTA_ERR_SERVER_BAD_REPLY", "GET cancelAction: reply lacks id or cancelAction.stopId", { details: { endpoint: "GET cancelAction" } });
    }
    const body: Feedback = {
      timestamp: this.#platform.clock.now(),
      status: { execution: "closed", result: { finished: "success" }, details: ["cancelled by the server; deployment stopped"] },
    };
    const ack = await this.#request("POST cancel feedback", "POST", `${this.#prefix}/cancelAction/${id}/feedback`, body, signal);
    if (ack.status !== 200 && ack.status !== 204) throw statusError(ack, "POST cancel feedback", this.#platform.clock.now());
    this.#cancelled.add(String(stopId));
    if (this.#pendingClose?.actionId === String(stopId)) this.#pendingClose = undefined;
    this.#log.warn({ event: "server.deployment.aborted", deploymentId: String(stopId) }, "server cancelled the deployment");
    return String(stopId);
  }

  /** Confirms an action that waits for the device's consent (hawkBit user consent flow). */
  async #confirm(href: string, signal?: AbortSignal): Promise<void> {
    const reply = await this.#request("GET confirmationBase", "GET", href, undefined, signal);
    if (reply.status !== 200) throw statusError(reply, "GET confirmationBase", this.#platform.clock.now());
    const raw = parseJsonReply(reply, "GET confirmationBase") as { id?: unknown };
    const id = typeof raw?.id === "string" || typeof raw?.id === "number" ? String(raw.id) : undefined;
    if (id === undefined || !/^\d+$/.test(id)) {
      throw new OtaError("OTA_ERR_SERVER_BAD_REPLY", "GET confirmationBase: reply lacks the action id", { details: { endpoint: "GET confirmationBase" } });
    }
    const body = { confirmation: "confirmed", details: ["confirmed by ota-agent (autoConfirm)"] };
    const ack = await this.#request("POST confirmation feedback", "POST", `${this.#prefix}/confirmationBase/${id}/feedback`, body, signal);
    if (ack.status !== 200 && ack.status !== 204) throw statusError(ack, "POST confirmation feedback", this.#platform.clock.now());
    this.#log.info({ event: "server.deployment.confirmed", deploymentId: id }, "confirmed the action on the server");
  }

  async #pollBase(signal?: AbortSignal): Promise<Links> {
    const reply = await this.#request("GET controller base", "GET", this.#prefix, undefined, signal);
    if (reply.status !== 200) throw statusError(reply, "GET controller base", this.#platform.clock.now());
    this.#verified = true;
    const raw = parseJsonReply(reply, "GET controller base") as { config?: { polling?: { sleep?: unknown } }; _links?: Record<string, { href?: unknown }> };
    if (typeof raw !== "object" || raw === null) {
      throw new OtaError("OTA_ERR_SERVER_BAD_REPLY", "GET controller base: reply is not a JSON object", { details: { endpoint: "GET controller base" } });
    }
    const sleep = parsePollSleep(raw.config?.polling?.sleep);
    if (sleep !== undefined) this.#sleepMs = sleep;
    const links: Links = {};
    for (const name of ["deploymentBase", "cancelAction", "configData", "confirmationBase"] as const) {
      const href = raw._links?.[name]?.href;
      if (typeof href === "string" && /^https?:\/\//.test(href)) links[name] = href;
    }
    return links;
  }

  async #fetchDeployment(href: string, signal?: AbortSignal): Promise<Deployment> {
    const endpoint = "GET deploymentBase";
    const reply = await this.#request(endpoint, "GET", href, undefined, signal);
    if (reply.status !== 200) throw statusError(reply, endpoint, this.#platform.clock.now());
    const raw = parseJsonReply(reply, endpoint) as DdiDeploymentBase;
    const bad = (what: string): OtaError => new OtaError("OTA_ERR_SERVER_BAD_REPLY", `${endpoint}: ${what}`, { details: { endpoint } });
    if (typeof raw !== "object" || raw === null) throw bad("reply is not a JSON object");
    const id = typeof raw.id === "number" ? String(raw.id) : raw.id;
    if (typeof id !== "string" || !/^\d+$/.test(id)) throw bad("action id is missing or not a number");
    const dep = raw.deployment;
    if (typeof dep !== "object" || dep === null || !Array.isArray(dep.chunks)) throw bad("deployment.chunks is missing");
    const mode = (v: unknown): "skip" | "attempt" | "forced" => (v === "skip" || v === "attempt" || v === "forced" ? v : "forced");
    for (const chunk of dep.chunks) {
      for (const artifact of Array.isArray(chunk?.artifacts) ? chunk.artifacts : []) {
        if (typeof artifact?.filename !== "string" || !this.#pattern.test(artifact.filename)) continue;
        const links = artifact._links ?? {};
        const uri = links["download"]?.href ?? links["download-http"]?.href;
        if (typeof uri !== "string" || !/^https?:\/\//.test(uri)) throw bad(`artifact ${artifact.filename} has no download link`);
        const hashes = artifact.hashes ?? {};
        const hex = (v: unknown, len: number): string | undefined =>
          typeof v === "string" && new RegExp(`^[0-9a-fA-F]{${len}}$`).test(v) ? v.toLowerCase() : undefined;
        const sha256 = hex(hashes.sha256, 64);
        const meta = Array.isArray(chunk.metadata) ? chunk.metadata : [];
        const named = meta.find((m) => m?.key === "artifact_name")?.value;
        const artifactName = typeof named === "string" && named !== "" ? named : `${String(chunk.name)}-${String(chunk.version)}`;
        const maintenanceWindow = dep.maintenanceWindow === "available" || dep.maintenanceWindow === "unavailable" ? dep.maintenanceWindow : undefined;
        return {
          id,
          artifactName,
          uri,
          ...(sha256 ? { sha256 } : {}),
          ...(typeof artifact.size === "number" ? { size: artifact.size } : {}),
          policy: { download: mode(dep.download), update: mode(dep.update), ...(maintenanceWindow ? { maintenanceWindow } : {}) },
          server: this.name,
          extra: {
            filename: artifact.filename,
            chunk: { part: chunk.part, name: chunk.name, version: chunk.version },
            hashes: { sha1: hex(hashes.sha1, 40), md5: hex(hashes.md5, 32), sha256 },
          },
        };
      }
    }
    // The action can never succeed here: close it so the server does not offer it forever.
    const names = dep.chunks.flatMap((c) => (Array.isArray(c?.artifacts) ? c.artifacts.map((a) => String(a?.filename)) : []));
    const message = `no artifact matches ${this.#config.artifactPattern} (files: ${names.join(", ") || "none"})`;
    await this.#postFeedback(id, this.#feedbackBody("failure", [message]), signal);
    throw new OtaError("OTA_ERR_SERVER_NO_ARTIFACT", `deployment ${id}: ${message}`, { details: { deploymentId: id, files: names } });
  }

  #authorization(): string | undefined {
    if (this.#config.targetToken) return `TargetToken ${this.#config.targetToken}`;
    if (this.#config.gatewayToken) return `GatewayToken ${this.#config.gatewayToken}`;
    return undefined;
  }

  async #request(endpoint: string, method: ExchangeRequest["method"], href: string, json: unknown, signal?: AbortSignal): Promise<ExchangeReply> {
    const headers: Record<string, string> = { Accept: "application/hal+json, application/json" };
    const auth = this.#authorization();
    if (auth) headers["Authorization"] = auth;
    let body: string | undefined;
    if (json !== undefined) {
      body = JSON.stringify(json);
      headers["Content-Type"] = "application/json";
    }
    const reply = await this.#http.send({ method, url: new URL(href), endpoint, headers, body, signal });
    if (reply.status === 401 || reply.status === 403) {
      this.#verified = false;
      this.#log.warn({ event: "server.auth.refused", endpoint }, "hawkBit refused the token");
    }
    return reply;
  }

  async #withRetries<T>(critical: boolean, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await attempt();
      } catch (err) {
        const transient =
          isOtaError(err) &&
          (err.code === "OTA_ERR_SERVER_UNREACHABLE" || err.code === "OTA_ERR_SERVER_TIMEOUT" || err.code === "OTA_ERR_SERVER_RATE_LIMITED" ||
            (err.code === "OTA_ERR_SERVER_STATUS" && Number(err.details["status"]) >= 500)) &&
          err.details["aborted"] !== true;
        const limit = this.#config.retryPollCount > 0 ? this.#config.retryPollCount : 3;
        if (!critical || !transient || failures >= limit) throw err;
        const delay = this.retryDelayMs(err, failures, this.pollPolicy().updatePollIntervalMs);
        this.#log.warn({ event: "server.retry", code: (err as OtaError).code, delayMs: delay, failures }, "server call failed; retrying");
        await this.#platform.clock.sleep(delay, signal);
      }
    }
  }
}

interface DdiDeploymentBase {
  id?: unknown;
  deployment?: {
    download?: unknown;
    update?: unknown;
    maintenanceWindow?: unknown;
    chunks?: {
      part?: unknown;
      name?: unknown;
      version?: unknown;
      metadata?: { key?: unknown; value?: unknown }[];
      artifacts?: {
        filename?: unknown;
        size?: unknown;
        hashes?: { sha1?: unknown; md5?: unknown; sha256?: unknown };
        _links?: Record<string, { href?: unknown } | undefined>;
      }[];
    }[];
  };
}
