// The development fleet server: Mender device API + hawkBit DDI on 127.0.0.1, every request checked against the published documents.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { OpenApiCatalog, DEFAULT_OPENAPI_DIR } from "./openapi-catalog.js";
import { MenderBackend, type MenderBackendOptions } from "./mender-backend.js";
import { HawkbitBackend, type HawkbitBackendOptions } from "./hawkbit-backend.js";

/** A one-shot (or `times`-shot) misbehaviour of one endpoint. */
export type Fault = { endpoint: FaultEndpoint; times?: number } & (
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  | { kind: "slow"; delayMs: number }
  | { kind: "garbage" }
  | { kind: "drop" }
  | { kind: "hang" }
);

export type FaultEndpoint =
  | "mender.auth"
  | "mender.next.v2"
  | "mender.next.v1"
  | "mender.status"
  | "mender.log"
  | "mender.inventory"
  | "mender.download"
  | "hawkbit.base"
  | "hawkbit.deploymentBase"
  | "hawkbit.feedback"
  | "hawkbit.cancelAction"
  | "hawkbit.cancelFeedback"
  | "hawkbit.configData"
  | "hawkbit.confirmationBase"
  | "hawkbit.confirmationFeedback"
  | "hawkbit.download";

/** What the server saw, for assertions (never the Authorization value itself, only whether it was there). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  endpoint: string;
  status: number;
  hadAuthorization: boolean;
  violations: string[];
  body: unknown;
}

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  json: unknown;
  body: Buffer;
  /** Fault to apply inside the handler (drop mid-download); the server applies the others itself. */
  fault?: Fault;
}

/** A reply to send, or "sent" when the handler wrote the response itself (downloads). */
export type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | "sent";

export interface DevServerOptions {
  openapiDir?: string;
  /** TCP port on 127.0.0.1 (default: a random free one). */
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  mender?: MenderBackendOptions;
  hawkbit?: HawkbitBackendOptions;
}

export class DevServer {
  readonly url: string;
  readonly mender: MenderBackend;
  readonly hawkbit: HawkbitBackend;
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #catalog: OpenApiCatalog;
  readonly #faults: Fault[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server, url: string, catalog: OpenApiCatalog, mender: MenderBackend, hawkbit: HawkbitBackend) {
    this.#server = server;
    this.url = url;
    this.#catalog = catalog;
    this.mender = mender;
    this.hawkbit = hawkbit;
  }

  /** Starts on 127.0.0.1 at a random port (HTTPS when `tls` is given). */
  static async start(options: DevServerOptions = {}): Promise<DevServer> {
    const catalog = await OpenApiCatalog.load(options.openapiDir ?? DEFAULT_OPENAPI_DIR);
    const holder: { self?: DevServer } = {};
    const listener: RequestListener = (req, res) => {
      (holder.self as DevServer).handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: `dev server bug: ${String(err)}` }));
      });
    };
    const server: Server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
    const url = `${options.tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const mender = new MenderBackend(url, options.mender);
    const hawkbit = new HawkbitBackend(url, options.hawkbit);
    holder.self = new DevServer(server, url, catalog, mender, hawkbit);
    return holder.self;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Queues a fault for the next `times` (default 1) requests to `endpoint`. */
  fault(fault: Fault): void {
    this.#faults.push({ times: 1, ...fault });
  }

  /** Every request the documents did not accept, as "METHOD path: reason" lines. */
  get violations(): string[] {
    return this.requests.flatMap((r) => r.violations.map((v) => `${r.method} ${r.path}: ${v}`));
  }

  #takeFault(endpoint: string): Fault | undefined {
    const i = this.#faults.findIndex((f) => f.endpoint === endpoint);
    if (i < 0) return undefined;
    const f = this.#faults[i] as Fault;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.#faults.splice(i, 1);
    return f;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const body = await readBody(req);
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: url.search,
      endpoint: "unknown",
      status: 0,
      hadAuthorization: req.headers.authorization !== undefined,
      violations: [],
      body: undefined,
    };
    this.requests.push(record);
    res.on("finish", () => (record.status = res.statusCode));

    // Presigned object-storage downloads are not part of the device API documents.
    if (url.pathname.startsWith("/download/")) {
      record.endpoint = "mender.download";
      const fault = this.#takeFault(record.endpoint);
      if (await this.#applyFault(fault, res)) return;
      const reply = this.mender.download({ req, res, url, params: {}, json: undefined, body, ...(fault ? { fault } : {}) }, record);
      this.#send(res, reply);
      return;
    }
    // The v2 next endpoint exists only on enterprise/hosted servers and in none of the documents (README).
    if (url.pathname === "/api/devices/v2/deployments/device/deployments/next") {
      record.endpoint = "mender.next.v2";
      const fault = this.#takeFault(record.endpoint);
      if (await this.#applyFault(fault, res)) return;
      this.#send(res, this.mender.nextV2({ req, res, url, params: {}, json: tryJson(body), body }, record));
      return;
    }
    const checked = this.#catalog.check({ method: record.method, url, headers: req.headers, body });
    record.body = checked.json;
    if (checked.violations.length > 0 || !checked.operation) {
      record.violations = checked.violations;
      this.#send(res, { status: 400, body: { error: `request not accepted by the API documents: ${checked.violations.join("; ")}` } });
      return;
    }
    const op = checked.operation;
    const key = `${op.method} ${op.template}`;
    const backend = op.document.startsWith("hawkbit/") ? this.hawkbit : this.mender;
    record.endpoint = backend.endpointOf(key);
    const fault = this.#takeFault(record.endpoint);
    if (await this.#applyFault(fault, res)) return;
    const ctx: HandlerContext = { req, res, url, params: checked.pathParams, json: checked.json, body, ...(fault ? { fault } : {}) };
    this.#send(res, backend.handle(key, ctx, record));
  }

  /** Applies server-level faults; true when the request is fully handled (or deliberately never will be). */
  async #applyFault(fault: Fault | undefined, res: ServerResponse): Promise<boolean> {
    if (!fault) return false;
    switch (fault.kind) {
      case "status":
        res.writeHead(fault.status, {
          "Content-Type": "application/json",
          ...(fault.retryAfter !== undefined ? { "Retry-After": fault.retryAfter } : {}),
        });
        res.end(fault.body ?? JSON.stringify({ error: `injected HTTP ${fault.status}` }));
        return true;
      case "garbage":
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end("<html>not json at all{{{");
        return true;
      case "hang":
        return true;
      case "slow":
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.#timers.delete(t);
            resolve();
          }, fault.delayMs);
          this.#timers.add(t);
        });
        return res.destroyed;
      case "drop":
        // For downloads the handler drops mid-body; elsewhere the connection dies before any reply.
        if (res.req.url?.startsWith("/download/") || /\/softwaremodules\//.test(res.req.url ?? "")) return false;
        res.socket?.destroy();
        return true;
    }
  }

  #send(res: ServerResponse, reply: Reply): void {
    if (reply === "sent") return;
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | Buffer | undefined;
    if (reply.body === undefined) payload = undefined;
    else if (Buffer.isBuffer(reply.body) || typeof reply.body === "string") payload = reply.body;
    else {
      payload = JSON.stringify(reply.body);
      headers["Content-Type"] ??= "application/json";
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      // Device requests are small; a runaway body is a client bug the tests should see as a 400.
      if (size <= 4 * 1024 * 1024) chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function tryJson(body: Buffer): unknown {
  try {
    return body.length ? (JSON.parse(body.toString("utf8")) as unknown) : undefined;
  } catch {
    return undefined;
  }
}
