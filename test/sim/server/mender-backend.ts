// The Mender side of the dev server: device admission, JWTs, deployments, statuses, logs, inventory and presigned downloads.
import { createHmac, createPublicKey, randomBytes, randomUUID, timingSafeEqual, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HandlerContext, RecordedRequest, Reply } from "./dev-server.js";
import { serveRange } from "./range-download.js";

export interface MenderBackendOptions {
  /** Accept every new device at once (default false: first request → pending → 401). */
  autoAccept?: boolean;
  /** When set, auth requests must carry this tenant_token. */
  tenantToken?: string;
  /** Serve the enterprise-only v2 next endpoint (default false: 404, like the open-source server). */
  enterprise?: boolean;
  /** JWT lifetime, seconds (default one week, like the server). */
  jwtLifetimeSeconds?: number;
  /** Presigned link lifetime, ms (default 24 h). */
  linkLifetimeMs?: number;
}

export type AuthSetStatus = "pending" | "accepted" | "rejected";

export interface MenderDevice {
  id: string;
  /** id_data, keys sorted. */
  identity: string;
  authSets: Map<string, AuthSetStatus>;
  inventory: Map<string, unknown>;
  inventoryCalls: { method: string; attributes: unknown }[];
}

export interface DeviceDeployment {
  statuses: { status: string; substate?: string }[];
  logs: { timestamp: string; level: string; message: string }[][];
  finished: boolean;
}

export interface MenderDeployment {
  id: string;
  artifactName: string;
  artifact: Buffer;
  deviceTypes: string[];
  /** Device ids it targets; undefined = every device. */
  devices?: string[];
  force: boolean;
  aborted: boolean;
  perDevice: Map<string, DeviceDeployment>;
}

const FINAL = new Set(["success", "failure", "already-installed"]);

const ENDPOINTS: Record<string, string> = {
  "POST /api/devices/v1/authentication/auth_requests": "mender.auth",
  "GET /api/devices/v1/deployments/device/deployments/next": "mender.next.v1",
  "PUT /api/devices/v1/deployments/device/deployments/{id}/status": "mender.status",
  "PUT /api/devices/v1/deployments/device/deployments/{id}/log": "mender.log",
  "PUT /api/devices/v1/inventory/device/attributes": "mender.inventory",
  "PATCH /api/devices/v1/inventory/device/attributes": "mender.inventory",
};

export class MenderBackend {
  readonly devices = new Map<string, MenderDevice>();
  readonly deployments = new Map<string, MenderDeployment>();
  readonly options: Required<MenderBackendOptions>;
  /** Every v2 next body, for assertions on device_provides. */
  readonly v2Requests: unknown[] = [];
  readonly #secret = randomBytes(32);
  readonly #base: string;
  #tokenEpoch = 0;
  #linksExpired = false;
  #acceptedInventoryMethods = new Set(["PUT", "PATCH"]);
  #abortTriggers: { deploymentId: string; status: string; occurrence: number }[] = [];

  constructor(base: string, options: MenderBackendOptions = {}) {
    this.#base = base;
    this.options = {
      autoAccept: options.autoAccept ?? false,
      tenantToken: options.tenantToken ?? "",
      enterprise: options.enterprise ?? false,
      jwtLifetimeSeconds: options.jwtLifetimeSeconds ?? 7 * 24 * 3600,
      linkLifetimeMs: options.linkLifetimeMs ?? 24 * 3600 * 1000,
    };
  }

  // --- admin API -------------------------------------------------------------------------------------------------

  /** Accepts the pending auth sets of every device (or of one device id). */
  accept(deviceId?: string): void {
    for (const d of this.devices.values()) {
      if (deviceId !== undefined && d.id !== deviceId) continue;
      for (const key of d.authSets.keys()) d.authSets.set(key, "accepted");
    }
  }

  reject(deviceId?: string): void {
    for (const d of this.devices.values()) {
      if (deviceId !== undefined && d.id !== deviceId) continue;
      for (const key of d.authSets.keys()) d.authSets.set(key, "rejected");
    }
    this.expireTokens();
  }

  /** Invalidates every JWT issued so far: the next call of each device gets 401. */
  expireTokens(): void {
    this.#tokenEpoch++;
  }

  /** Makes the inventory endpoint answer 405 to PUT (a Mender ≤ 2.5 server). */
  patchOnlyInventory(): void {
    this.#acceptedInventoryMethods = new Set(["PATCH"]);
  }

  createDeployment(spec: { artifactName: string; artifact: Buffer | string; deviceTypes: string[]; devices?: string[]; force?: boolean }): string {
    const id = randomUUID();
    this.deployments.set(id, {
      id,
      artifactName: spec.artifactName,
      artifact: typeof spec.artifact === "string" ? readFileSync(spec.artifact) : spec.artifact,
      deviceTypes: spec.deviceTypes,
      ...(spec.devices ? { devices: spec.devices } : {}),
      force: spec.force ?? false,
      aborted: false,
      perDevice: new Map(),
    });
    return id;
  }

  abort(deploymentId: string): void {
    const d = this.deployments.get(deploymentId);
    if (d) d.aborted = true;
  }

  /**
   * The operator aborts `deploymentId` right after a device has reported `status` for the `occurrence`-th time, so
   * the device's next status report gets 409: a race-free way to abort at one exact point of a deployment.
   */
  abortAfter(deploymentId: string, status: string, occurrence = 1): void {
    this.#abortTriggers.push({ deploymentId, status, occurrence });
  }

  /** The status values a device reported for a deployment, in order (the first device when none is named). */
  statuses(deploymentId: string, deviceId?: string): string[] {
    return this.#deviceDeployment(deploymentId, deviceId)?.statuses.map((s) => s.status) ?? [];
  }

  logs(deploymentId: string, deviceId?: string): { timestamp: string; level: string; message: string }[][] {
    return this.#deviceDeployment(deploymentId, deviceId)?.logs ?? [];
  }

  /** The only device, for single-device tests. */
  get device(): MenderDevice | undefined {
    return [...this.devices.values()][0];
  }

  /** Makes every presigned link issued so far (and later) expired: downloads answer 403 as object storage does. */
  expireLinks(): void {
    this.#linksExpired = true;
  }

  // --- request handling ------------------------------------------------------------------------------------------

  endpointOf(key: string): string {
    return ENDPOINTS[key] ?? `mender.unhandled ${key}`;
  }

  handle(key: string, ctx: HandlerContext, record: RecordedRequest): Reply {
    switch (key) {
      case "POST /api/devices/v1/authentication/auth_requests":
        return this.#auth(ctx);
      case "GET /api/devices/v1/deployments/device/deployments/next": {
        const q = ctx.url.searchParams;
        return this.#next(ctx, q.get("artifact_name") ?? "", q.get("device_type") ?? "", record);
      }
      case "PUT /api/devices/v1/deployments/device/deployments/{id}/status":
        return this.#status(ctx);
      case "PUT /api/devices/v1/deployments/device/deployments/{id}/log":
        return this.#log(ctx);
      case "PUT /api/devices/v1/inventory/device/attributes":
      case "PATCH /api/devices/v1/inventory/device/attributes":
        return this.#inventory(ctx, key.startsWith("PUT") ? "PUT" : "PATCH");
      default:
        return { status: 404, body: { error: `not served by the dev server: ${key}` } };
    }
  }

  /** v2 next (enterprise only). Its body is checked against mender.md §2.2 since no document describes it. */
  nextV2(ctx: HandlerContext, record: RecordedRequest): Reply {
    if (!this.options.enterprise) return { status: 404, body: { error: "Not Found" } };
    const device = this.#device(ctx);
    if (!device) return unauthorized();
    const body = ctx.json as { device_provides?: Record<string, unknown> } | undefined;
    this.v2Requests.push(body);
    record.body = body;
    const provides = body?.device_provides;
    const problems: string[] = [];
    if ((ctx.req.headers["content-type"] ?? "").split(";")[0] !== "application/json") problems.push("Content-Type is not application/json");
    if (typeof provides !== "object" || provides === null) problems.push("device_provides is not an object");
    else {
      for (const k of ["device_type", "artifact_name"]) if (typeof provides[k] !== "string" || provides[k] === "") problems.push(`device_provides.${k} missing`);
      for (const [k, v] of Object.entries(provides)) if (typeof v !== "string") problems.push(`device_provides.${k} is not a string`);
    }
    if (problems.length > 0) {
      record.violations = problems.map((p) => `POST next (v2): ${p}`);
      return { status: 400, body: { error: problems.join("; ") } };
    }
    const p = provides as Record<string, string>;
    return this.#next(ctx, p["artifact_name"] as string, p["device_type"] as string, record, device);
  }

  /**
   * The presigned object-storage link. Like S3, a request that carries an Authorization header besides the link's
   * own signature is refused (400 "Only one auth mechanism allowed"), and recorded as a violation: the device must
   * never send its JWT to storage.
   */
  download(ctx: HandlerContext, record: RecordedRequest): Reply {
    if (ctx.req.headers.authorization !== undefined) {
      record.violations = ["presigned download carries an Authorization header (object storage refuses it; the JWT must not leave the API)"];
      return { status: 400, body: "InvalidArgument: Only one auth mechanism allowed" };
    }
    const id = ctx.url.pathname.slice("/download/".length);
    const expires = Number(ctx.url.searchParams.get("x-expires"));
    const token = ctx.url.searchParams.get("x-token") ?? "";
    const deployment = this.deployments.get(id);
    if (!deployment || !this.#validLinkToken(id, expires, token)) return { status: 403, body: "bad signature" };
    if (this.#linksExpired || Date.now() > expires) return { status: 403, body: "link expired" };
    record.endpoint = "mender.download";
    const drop = ctx.fault?.kind === "drop" ? Math.floor(deployment.artifact.length / 2) : undefined;
    serveRange(ctx.req, ctx.res, deployment.artifact, drop === undefined ? {} : { dropAfterBytes: drop });
    return "sent";
  }

  #auth(ctx: HandlerContext): Reply {
    const request = ctx.json as { id_data: string; pubkey: string; tenant_token?: string };
    const signature = ctx.req.headers["x-men-signature"];
    let identity: string;
    try {
      const parsed = JSON.parse(request.id_data) as Record<string, unknown>;
      identity = JSON.stringify(Object.fromEntries(Object.keys(parsed).sort().map((k) => [k, parsed[k]])));
    } catch {
      return { status: 400, body: { error: "id_data is not JSON" } };
    }
    let ok = false;
    try {
      const key = createPublicKey(request.pubkey);
      const sig = Buffer.from(String(signature), "base64");
      const type = key.asymmetricKeyType;
      ok = type === "ed25519" ? verify(null, ctx.body, key, sig) : type === "ec" ? verify("sha256", ctx.body, { key, dsaEncoding: "der" }, sig) : verify("sha256", ctx.body, key, sig);
    } catch {
      return { status: 400, body: { error: "cannot parse public key" } };
    }
    if (!ok) return { status: 401, body: { error: "signature verification failed" } };
    if (this.options.tenantToken !== "" && request.tenant_token !== this.options.tenantToken) return { status: 401, body: { error: "invalid tenant token" } };
    let device = [...this.devices.values()].find((d) => d.identity === identity);
    if (!device) {
      device = { id: randomUUID(), identity, authSets: new Map(), inventory: new Map(), inventoryCalls: [] };
      this.devices.set(device.id, device);
    }
    const pubkey = createPublicKey(request.pubkey).export({ type: "spki", format: "pem" }).toString();
    if (!device.authSets.has(pubkey)) device.authSets.set(pubkey, this.options.autoAccept ? "accepted" : "pending");
    if (device.authSets.get(pubkey) !== "accepted") return unauthorized();
    return { status: 200, headers: { "Content-Type": "application/jwt" }, body: this.#issueJwt(device.id) };
  }

  #next(ctx: HandlerContext, artifactName: string, deviceType: string, _record: RecordedRequest, known?: MenderDevice): Reply {
    const device = known ?? this.#device(ctx);
    if (!device) return unauthorized();
    for (const d of this.deployments.values()) {
      if (d.aborted || (d.devices && !d.devices.includes(device.id)) || !d.deviceTypes.includes(deviceType)) continue;
      let dd = d.perDevice.get(device.id);
      if (dd?.finished) continue;
      if (!dd) {
        dd = { statuses: [], logs: [], finished: false };
        d.perDevice.set(device.id, dd);
      }
      if (!d.force && artifactName === d.artifactName) {
        dd.statuses.push({ status: "already-installed" });
        dd.finished = true;
        continue;
      }
      const expires = Date.now() + this.options.linkLifetimeMs;
      const uri = `${this.#base}/download/${d.id}?x-expires=${expires}&x-token=${this.#linkToken(d.id, expires)}`;
      return {
        status: 200,
        body: {
          id: d.id,
          artifact: {
            id: `artifact-${d.id}`,
            artifact_name: d.artifactName,
            source: { uri, expire: new Date(expires).toISOString() },
            device_types_compatible: d.deviceTypes,
          },
        },
      };
    }
    return { status: 204 };
  }

  #status(ctx: HandlerContext): Reply {
    const device = this.#device(ctx);
    if (!device) return unauthorized();
    const d = this.deployments.get(ctx.params["id"] ?? "");
    const dd = d?.perDevice.get(device.id);
    if (!d || !dd) return { status: 404, body: { error: "deployment not found" } };
    const body = ctx.json as { status: string; substate?: string };
    if (d.aborted) return { status: 409, body: { error: "deployment aborted" } };
    dd.statuses.push(body.substate === undefined ? { status: body.status } : { status: body.status, substate: body.substate });
    if (FINAL.has(body.status)) dd.finished = true;
    const seen = dd.statuses.filter((s) => s.status === body.status).length;
    if (this.#abortTriggers.some((t) => t.deploymentId === d.id && t.status === body.status && t.occurrence === seen)) d.aborted = true;
    return { status: 204 };
  }

  #log(ctx: HandlerContext): Reply {
    const device = this.#device(ctx);
    if (!device) return unauthorized();
    const dd = this.deployments.get(ctx.params["id"] ?? "")?.perDevice.get(device.id);
    if (!dd) return { status: 404, body: { error: "deployment not found" } };
    dd.logs.push((ctx.json as { messages: DeviceDeployment["logs"][number] }).messages);
    return { status: 204 };
  }

  #inventory(ctx: HandlerContext, method: "PUT" | "PATCH"): Reply {
    const device = this.#device(ctx);
    if (!device) return unauthorized();
    if (!this.#acceptedInventoryMethods.has(method)) return { status: 405, body: { error: "method not allowed" } };
    const attrs = ctx.json as { name: string; value: unknown }[];
    device.inventoryCalls.push({ method, attributes: attrs });
    if (method === "PUT") device.inventory.clear();
    for (const a of attrs) device.inventory.set(a.name, a.value);
    return { status: 200 };
  }

  /** The device behind a valid, unexpired JWT of an accepted device; undefined → 401. */
  #device(ctx: HandlerContext): MenderDevice | undefined {
    const m = /^Bearer (.+)$/.exec(ctx.req.headers.authorization ?? "");
    if (!m) return undefined;
    const [h, p, s] = (m[1] as string).split(".");
    if (!h || !p || !s) return undefined;
    const expected = createHmac("sha256", this.#secret).update(`${h}.${p}`).digest("base64url");
    if (!safeEqual(expected, s)) return undefined;
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { sub: string; exp: number; epoch: number };
    if (claims.exp * 1000 < Date.now() || claims.epoch !== this.#tokenEpoch) return undefined;
    const device = this.devices.get(claims.sub);
    if (!device || ![...device.authSets.values()].includes("accepted")) return undefined;
    return device;
  }

  #issueJwt(deviceId: string): string {
    const now = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({ sub: deviceId, iat: now, exp: now + this.options.jwtLifetimeSeconds, jti: randomUUID(), iss: "Mender", "mender.device": true, epoch: this.#tokenEpoch }),
    ).toString("base64url");
    const sig = createHmac("sha256", this.#secret).update(`${header}.${payload}`).digest("base64url");
    return `${header}.${payload}.${sig}`;
  }

  #linkToken(id: string, expires: number): string {
    return createHmac("sha256", this.#secret).update(`link:${id}:${expires}`).digest("hex");
  }

  #validLinkToken(id: string, expires: number, token: string): boolean {
    return Number.isFinite(expires) && safeEqual(this.#linkToken(id, expires), token);
  }

  #deviceDeployment(deploymentId: string, deviceId?: string): DeviceDeployment | undefined {
    const d = this.deployments.get(deploymentId);
    if (!d) return undefined;
    return deviceId === undefined ? [...d.perDevice.values()][0] : d.perDevice.get(deviceId);
  }
}

function unauthorized(): Reply {
  return { status: 401, body: { error: "Unauthorized" } };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
