// MenderClient: the Mender device API (auth, next deployment, status, log, inventory) as a DeploymentServer.
import { createHash } from "node:crypto";
import type {
  Deployment,
  DeploymentLogLine,
  DeploymentServer,
  InstalledState,
  NothingToDo,
  StatusReport,
} from "../../core/capabilities/deployment-server.js";
import type { InventoryProvider } from "../../core/capabilities/inventory-provider.js";
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError, isOtaError } from "../../core/errors/index.js";
import type { MenderConfig } from "./config.js";
import { loadOrCreateDeviceKey, type DeviceKey } from "./device-keys.js";
import { readDeviceIdentity } from "./device-identity.js";
import { ServerHttp } from "../../core/net/server-http.js";
import { parseJsonReply, statusError, type ExchangeReply, type ExchangeRequest } from "../../core/net/http-exchange.js";
import { runInventoryScripts } from "./inventory-scripts.js";
import { sortedJson, type KeyValues } from "./key-value-lines.js";
import { backoffDelayMs, delayAfterFailureMs, isTransientServerError, type PollPolicy } from "./poll-policy.js";

export interface MenderClientOptions {
  platform: Platform;
  log: Logger;
  config: MenderConfig;
  /** Device path of the private key file. */
  keyFile: string;
  /** Inventory providers, read at each inventory round (plugins set up later still count). */
  inventoryProviders?: () => readonly InventoryProvider[];
}

const AUTH_PATH = "/api/devices/v1/authentication/auth_requests";
const NEXT_V2_PATH = "/api/devices/v2/deployments/device/deployments/next";
const NEXT_V1_PATH = "/api/devices/v1/deployments/device/deployments/next";
const INVENTORY_PATH = "/api/devices/v1/inventory/device/attributes";
/** The Mender client caps the log body at 1000×1000−256 bytes by dropping the oldest entries. */
const MAX_LOG_BODY = 1000 * 1000 - 256;

type AuthMode = "jwt" | "none";

/**
 * One instance per agent. The JWT lives in memory only and is renewed on a 401 (one retry per request). The v2
 * next-deployment endpoint is tried first; after a 404 (open-source server) the v1 GET is used for this process.
 */
export class MenderClient implements DeploymentServer {
  readonly name = "server-mender";
  readonly #platform: Platform;
  readonly #log: Logger;
  readonly #config: MenderConfig;
  readonly #keyFile: string;
  readonly #providers: () => readonly InventoryProvider[];
  readonly #base: URL;
  readonly #http: ServerHttp;
  #key: DeviceKey | undefined;
  #jwt: string | undefined;
  /** The authentication in flight, shared by concurrent callers (scheduler polls and inventory may overlap). */
  #authenticating: Promise<void> | undefined;
  #v2Available = true;
  #inventoryMethod: "PUT" | "PATCH" = "PUT";
  #lastInventoryHash: string | undefined;

  constructor(options: MenderClientOptions) {
    this.#platform = options.platform;
    this.#log = options.log;
    this.#config = options.config;
    this.#keyFile = options.keyFile;
    this.#providers = options.inventoryProviders ?? (() => []);
    this.#base = new URL(options.config.serverUrl);
    this.#http = new ServerHttp(options.platform.fs, options.log, options.config);
  }

  /** The mender.conf intervals, for the scheduler. */
  pollPolicy(): PollPolicy {
    const c = this.#config;
    return {
      updatePollIntervalMs: c.updatePollIntervalSeconds * 1000,
      inventoryPollIntervalMs: c.inventoryPollIntervalSeconds * 1000,
      retryPollIntervalMs: c.retryPollIntervalSeconds * 1000,
      retryPollCount: c.retryPollCount,
    };
  }

  retryDelayMs(error: unknown, failures: number, regularMs: number): number {
    return delayAfterFailureMs(error, failures, this.pollPolicy(), regularMs);
  }

  /** Presigned artifact URLs must never carry the Authorization header (object storage rejects or logs it). */
  downloadHeaders(): Record<string, string> {
    return {};
  }

  /** True while a JWT is held (for status output). */
  get authenticated(): boolean {
    return this.#jwt !== undefined;
  }

  /**
   * True once an inventory was accepted since the last authentication. The scheduler uses it for Mender's rule that a
   * device which never sent inventory sends it right after its first successful (204) poll.
   */
  get inventorySent(): boolean {
    return this.#lastInventoryHash !== undefined;
  }

  async authenticate(signal?: AbortSignal): Promise<void> {
    if (this.#jwt !== undefined) return;
    await this.#authenticateShared(signal);
  }

  #authenticateShared(signal?: AbortSignal): Promise<void> {
    this.#authenticating ??= this.#authenticateNow(signal).finally(() => {
      this.#authenticating = undefined;
    });
    return this.#authenticating;
  }

  /** Drops the JWT so the next call authenticates afresh (Mender 4.x does this before ArtifactCommit). */
  dropToken(): void {
    this.#jwt = undefined;
    this.#lastInventoryHash = undefined;
  }

  /** Before the commit report: the new software must authenticate afresh (as Mender 4.x does). */
  renewCredentials(): void {
    this.dropToken();
  }

  async nextDeployment(installed: InstalledState, signal?: AbortSignal): Promise<Deployment | NothingToDo> {
    let reply: ExchangeReply | undefined;
    if (this.#v2Available) {
      const deviceProvides: Record<string, string> = { ...installed.provides };
      deviceProvides["device_type"] = installed.deviceType;
      deviceProvides["artifact_name"] = installed.artifactName;
      reply = await this.#call("POST next (v2)", "POST", NEXT_V2_PATH, JSON.stringify({ device_provides: deviceProvides }), signal);
      if (reply.status === 404) {
        this.#v2Available = false;
        this.#log.info({ event: "server.next.v2-unavailable" }, "server has no v2 next-deployment endpoint; using v1 from now on");
        reply = undefined;
      }
    }
    if (reply === undefined) {
      const query = new URLSearchParams({ artifact_name: installed.artifactName, device_type: installed.deviceType });
      reply = await this.#call("GET next (v1)", "GET", `${NEXT_V1_PATH}?${query.toString()}`, undefined, signal);
    }
    const endpoint = this.#v2Available ? "POST next (v2)" : "GET next (v1)";
    if (reply.status === 204) return { kind: "nothing" };
    if (reply.status !== 200) throw statusError(reply, endpoint, this.#platform.clock.now());
    return this.#parseInstructions(parseJsonReply(reply, endpoint), endpoint);
  }

  async reportStatus(deployment: Deployment, report: StatusReport, signal?: AbortSignal): Promise<"ok" | "aborted"> {
    const body: { status: string; substate?: string } = { status: report.status };
    if (report.substate !== undefined && report.substate !== "") body.substate = report.substate.slice(0, 1000);
    const critical = report.critical ?? false;
    const path = `/api/devices/v1/deployments/device/deployments/${encodeURIComponent(deployment.id)}/status`;
    const endpoint = `PUT status ${report.status}`;
    const reply = await this.#withRetries(critical, signal, () => this.#call(endpoint, "PUT", path, JSON.stringify(body), signal, [204, 409]));
    if (reply.status === 409) {
      this.#log.warn({ event: "server.deployment.aborted", deploymentId: deployment.id, status: report.status }, "server aborted the deployment");
      return "aborted";
    }
    return "ok";
  }

  async uploadLog(deployment: Deployment, lines: readonly DeploymentLogLine[], signal?: AbortSignal): Promise<void> {
    const path = `/api/devices/v1/deployments/device/deployments/${encodeURIComponent(deployment.id)}/log`;
    const body = boundedLogBody(lines, this.#platform.clock.now());
    // One attempt: the runner logs a failed upload and moves on; the deployment result is already reported.
    await this.#call("PUT log", "PUT", path, body, signal, [204]);
  }

  /**
   * Sends `{...providers, ...scripts, ...attributes}` (later sources win). Skipped when the payload equals the last
   * accepted one since the last authentication (as the Mender client does). PUT replaces; a 405 falls back to PATCH.
   */
  async sendInventory(attributes: Record<string, string | string[]>, signal?: AbortSignal): Promise<void> {
    const merged = { ...(await this.collectInventory(signal)), ...attributes };
    const items = Object.keys(merged)
      .sort()
      .flatMap((name) => {
        const value = merged[name] as string | string[];
        // An empty array matches both array branches of the spec's oneOf, so it is not sendable.
        if (Array.isArray(value) && value.length === 0) return [];
        return [{ name, value }];
      });
    const body = JSON.stringify(items);
    const hash = createHash("sha256").update(body).digest("hex");
    if (hash === this.#lastInventoryHash && this.#jwt !== undefined) {
      this.#log.debug({ event: "server.inventory.unchanged" }, "inventory unchanged; not sent");
      return;
    }
    let reply = await this.#call(`${this.#inventoryMethod} inventory`, this.#inventoryMethod, INVENTORY_PATH, body, signal, [200, 405]);
    if (reply.status === 405 && this.#inventoryMethod === "PUT") {
      this.#inventoryMethod = "PATCH";
      reply = await this.#call("PATCH inventory", "PATCH", INVENTORY_PATH, body, signal, [200]);
    }
    if (reply.status !== 200) throw statusError(reply, `${this.#inventoryMethod} inventory`, this.#platform.clock.now());
    this.#lastInventoryHash = hash;
    this.#log.info({ event: "server.inventory.sent", attributes: items.length }, "inventory sent");
  }

  /** Attributes from every inventory provider, then the inventory scripts; a failing provider is skipped. */
  async collectInventory(signal?: AbortSignal): Promise<KeyValues> {
    const out: KeyValues = {};
    for (const provider of this.#providers()) {
      try {
        Object.assign(out, await provider.collect(signal));
      } catch (err) {
        this.#log.warn({ event: "server.inventory.provider-failed", provider: provider.name, err }, "inventory provider failed; skipped");
      }
    }
    const timeoutMs = this.#config.scriptTimeoutSeconds * 1000;
    Object.assign(out, await runInventoryScripts(this.#platform, this.#config.inventoryScriptsDir, timeoutMs, this.#log, signal));
    return out;
  }

  async #authenticateNow(signal?: AbortSignal): Promise<void> {
    const key = await this.#deviceKey();
    const identity = await readDeviceIdentity(this.#platform, this.#config.identityScript, this.#config.scriptTimeoutSeconds * 1000, signal);
    const request: Record<string, string> = { id_data: sortedJson(identity), pubkey: key.publicKeyPem };
    if (this.#config.tenantToken !== undefined) request["tenant_token"] = this.#config.tenantToken;
    const body = JSON.stringify(request);
    const reply = await this.#send("POST auth_requests", "POST", AUTH_PATH, body, signal, "none", {
      "X-MEN-Signature": key.sign(body),
      Accept: "application/json",
    });
    if (reply.status === 401) {
      this.#log.warn({ event: "server.auth.refused" }, "device not accepted by the server (pending or rejected); accept it in the Mender UI");
      throw new OtaError(
        "OTA_ERR_SERVER_UNAUTHORIZED",
        "POST auth_requests: HTTP 401: the device is not accepted (pending, rejected or preauthorized with another key)",
        { details: { endpoint: "POST auth_requests", status: 401 } },
      );
    }
    if (reply.status !== 200) throw statusError(reply, "POST auth_requests", this.#platform.clock.now());
    this.#jwt = parseToken(reply);
    this.#lastInventoryHash = undefined;
    this.#log.info({ event: "server.auth.ok" }, "authenticated with the Mender server");
  }

  async #deviceKey(): Promise<DeviceKey> {
    this.#key ??= await loadOrCreateDeviceKey(this.#platform, this.#keyFile, this.#config.keyType, this.#log);
    return this.#key;
  }

  /**
   * An authenticated call: authenticates first when needed; a 401 drops the JWT, re-authenticates once and repeats the
   * request. A 2xx reply or one whose status is in `expected` is returned for the caller to interpret; any other
   * status throws the matching OtaError (statusError).
   */
  async #call(
    endpoint: string,
    method: ExchangeRequest["method"],
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    expected: readonly number[] = [200, 204, 404],
  ): Promise<ExchangeReply> {
    await this.authenticate(signal);
    const used = this.#jwt;
    let reply = await this.#send(endpoint, method, path, body, signal, "jwt");
    if (reply.status === 401) {
      this.#log.info({ event: "server.auth.renew", endpoint }, "JWT refused; authenticating again");
      // Another call may have renewed it meanwhile: only the token this request used is dropped.
      if (this.#jwt === used) this.dropToken();
      await this.authenticate(signal);
      reply = await this.#send(endpoint, method, path, body, signal, "jwt");
    }
    if (expected.includes(reply.status) || (reply.status >= 200 && reply.status < 300)) return reply;
    throw statusError(reply, endpoint, this.#platform.clock.now());
  }

  async #send(
    endpoint: string,
    method: ExchangeRequest["method"],
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    auth: AuthMode,
    extraHeaders: Record<string, string> = {},
  ): Promise<ExchangeReply> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth === "jwt" && this.#jwt !== undefined) headers["Authorization"] = `Bearer ${this.#jwt}`;
    return this.#http.send({ method, url: new URL(path, this.#base), endpoint, headers, body, signal });
  }

  /** Critical calls retry transient failures with the backoff (sleeping on the platform clock); others try once. */
  async #withRetries<T>(critical: boolean, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await attempt();
      } catch (err) {
        if (!critical || !isTransientServerError(err)) throw err;
        const backoff = backoffDelayMs(failures, this.pollPolicy());
        if (backoff === null) throw err;
        const retryAfter = isOtaError(err) ? err.details["retryAfterMs"] : undefined;
        const delay = typeof retryAfter === "number" ? retryAfter : backoff;
        this.#log.warn({ event: "server.retry", code: (err as OtaError).code, delayMs: delay, failures }, "server call failed; retrying");
        await this.#platform.clock.sleep(delay, signal);
      }
    }
  }

  #parseInstructions(raw: unknown, endpoint: string): Deployment {
    const bad = (what: string): OtaError =>
      new OtaError("OTA_ERR_SERVER_BAD_REPLY", `${endpoint}: deployment instructions ${what}`, { details: { endpoint } });
    if (typeof raw !== "object" || raw === null) throw bad("are not a JSON object");
    const r = raw as { id?: unknown; artifact?: unknown };
    if (typeof r.id !== "string" || r.id === "") throw bad("lack a deployment id");
    const artifact = r.artifact as { artifact_name?: unknown; source?: { uri?: unknown; expire?: unknown }; device_types_compatible?: unknown } | undefined;
    if (typeof artifact !== "object" || artifact === null) throw bad("lack the artifact object");
    if (typeof artifact.artifact_name !== "string" || artifact.artifact_name === "") throw bad("lack artifact.artifact_name");
    const uri = artifact.source?.uri;
    if (typeof uri !== "string" || !/^https?:\/\//.test(uri)) throw bad("lack an http(s) artifact.source.uri");
    const expire = artifact.source?.expire;
    const types = Array.isArray(artifact.device_types_compatible)
      ? artifact.device_types_compatible.filter((t): t is string => typeof t === "string")
      : [];
    return {
      id: r.id,
      artifactName: artifact.artifact_name,
      uri,
      policy: { download: "forced", update: "forced" },
      server: this.name,
      extra: { deviceTypesCompatible: types, ...(typeof expire === "string" ? { expire } : {}) },
    };
  }
}

/** The JWT from the auth reply: raw text (`application/jwt`, what the server sends) or a JSON string (what the spec shows). */
function parseToken(reply: ExchangeReply): string {
  let text = reply.body.toString("utf8").trim();
  if (text.startsWith('"')) {
    try {
      text = String(JSON.parse(text));
    } catch {
      text = "";
    }
  }
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) {
    throw new OtaError("OTA_ERR_SERVER_BAD_REPLY", "POST auth_requests: HTTP 200 but the body is not a JWT", {
      details: { endpoint: "POST auth_requests", bytes: reply.body.length },
    });
  }
  return text;
}

/** `{"messages": [...]}` under the Mender client's size cap: oldest lines dropped, a truncation note prepended. */
export function boundedLogBody(lines: readonly DeploymentLogLine[], nowMs: number): string {
  const messages = lines.map((l) => ({ timestamp: l.timestamp, level: l.level, message: l.message }));
  let body = JSON.stringify({ messages });
  if (Buffer.byteLength(body) <= MAX_LOG_BODY) return body;
  const note = { timestamp: new Date(nowMs).toISOString(), level: "info", message: "(THIS LOG IS TRUNCATED)" };
  let drop = 1;
  // Binary search for the fewest oldest lines to drop: log bodies can hold tens of thousands of lines.
  let lo = 1;
  let hi = messages.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (Buffer.byteLength(JSON.stringify({ messages: [note, ...messages.slice(mid)] })) <= MAX_LOG_BODY) hi = mid;
    else lo = mid + 1;
  }
  drop = lo;
  body = JSON.stringify({ messages: [note, ...messages.slice(drop)] });
  return body;
}
