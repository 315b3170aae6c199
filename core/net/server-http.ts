// A fleet server client's HTTP side: every exchange with the same deadline and TLS policy, the CA bundle read once.
import type { FileSystem } from "../capabilities/platform.js";
import { OtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import { exchange, type ExchangeReply, type ExchangeRequest } from "./http-exchange.js";

/** The connection settings every server plugin's config carries (mender.conf and hawkBit use the same names). */
export interface ServerHttpConfig {
  /** Deadline of each whole exchange, in seconds. */
  requestTimeoutSeconds: number;
  /** Accept any server certificate (test servers only). */
  skipVerify: boolean;
  /** Extra trusted certificate (PEM file, a device path), added to Node's public roots. */
  serverCertificate?: string | undefined;
}

/** What a caller chooses per request; the deadline and TLS come from the config. */
export type ServerRequest = Omit<ExchangeRequest, "timeoutMs" | "tls">;

/** Sends requests for one server client (Mender, hawkBit); status handling stays with the client. */
export class ServerHttp {
  readonly #fs: FileSystem;
  readonly #log: Logger;
  readonly #config: ServerHttpConfig;
  #ca: string | undefined;

  /** `log` gets one debug line (`server.http`) per exchange: endpoint and status, never headers. */
  constructor(fs: FileSystem, log: Logger, config: ServerHttpConfig) {
    this.#fs = fs;
    this.#log = log;
    this.#config = config;
  }

  async send(req: ServerRequest): Promise<ExchangeReply> {
    const reply = await exchange({
      ...req,
      timeoutMs: this.#config.requestTimeoutSeconds * 1000,
      tls: { rejectUnauthorized: !this.#config.skipVerify, ca: await this.#caBundle() },
    });
    this.#log.debug({ event: "server.http", endpoint: req.endpoint, status: reply.status }, "server exchange");
    return reply;
  }

  /**
   * Node's root certificates plus the configured file, read on first use and kept. Node replaces the default CAs when
   * `ca` is given, so keeping them lets public servers still verify. A missing file is OTA_ERR_SERVER_UNREACHABLE.
   */
  async #caBundle(): Promise<string | undefined> {
    const file = this.#config.serverCertificate;
    if (file === undefined) return undefined;
    if (this.#ca === undefined) {
      const text = await this.#fs.readText(file);
      if (text === undefined) throw new OtaError("OTA_ERR_SERVER_UNREACHABLE", `server certificate ${file} does not exist`);
      const { rootCertificates } = await import("node:tls");
      this.#ca = [...rootCertificates, text].join("\n");
    }
    return this.#ca;
  }
}
