// A fleet server client's HTTP side: every exchange with the same deadline and TLS policy, the CA bundle read once.
import type { FileSystem } from "../capabilities/platform.js";
import { OtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import { exchange, type ExchangeReply, type ExchangeRequest } from "./http-exchange.js";

export interface ServerHttpOptions {
  /** Reads `serverCertificate` (a device path). */
  fs: FileSystem;
  /** Gets one debug line (`server.http`) per exchange: endpoint and status, never headers. */
  log: Logger;
  /** Deadline of each whole exchange. */
  timeoutMs: number;
  /** Accept any server certificate (test servers only). */
  skipVerify: boolean;
  /** Extra trusted certificate (PEM file), added to Node's public roots. */
  serverCertificate?: string | undefined;
}

/** What a caller chooses per request; the deadline and TLS come from the options. */
export type ServerRequest = Omit<ExchangeRequest, "timeoutMs" | "tls">;

/** Sends requests for one server client (Mender, hawkBit); status handling stays with the client. */
export class ServerHttp {
  readonly #options: ServerHttpOptions;
  #ca: string | undefined;

  constructor(options: ServerHttpOptions) {
    this.#options = options;
  }

  async send(req: ServerRequest): Promise<ExchangeReply> {
    const reply = await exchange({
      ...req,
      timeoutMs: this.#options.timeoutMs,
      tls: { rejectUnauthorized: !this.#options.skipVerify, ca: await this.#caBundle() },
    });
    this.#options.log.debug({ event: "server.http", endpoint: req.endpoint, status: reply.status }, "server exchange");
    return reply;
  }

  /**
   * Node's root certificates plus the configured file, read on first use and kept. Node replaces the default CAs when
   * `ca` is given, so keeping them lets public servers still verify. A missing file is OTA_ERR_SERVER_UNREACHABLE.
   */
  async #caBundle(): Promise<string | undefined> {
    const file = this.#options.serverCertificate;
    if (file === undefined) return undefined;
    if (this.#ca === undefined) {
      const text = await this.#options.fs.readText(file);
      if (text === undefined) throw new OtaError("OTA_ERR_SERVER_UNREACHABLE", `server certificate ${file} does not exist`);
      const { rootCertificates } = await import("node:tls");
      this.#ca = [...rootCertificates, text].join("\n");
    }
    return this.#ca;
  }
}
