// A fleet server client's HTTP side: every exchange with the same deadline and TLS policy, the CA bundle read once.
import type { SecureContext } from "node:tls";
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
  #secureContext: SecureContext | undefined;

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
      tls: { rejectUnauthorized: !this.#config.skipVerify, secureContext: await this.#secureContextWithCa() },
    });
    this.#log.debug({ event: "server.http", endpoint: req.endpoint, status: reply.status }, "server exchange");
    return reply;
  }

  /**
   * Node's root certificates plus the configured file as one TLS context, built on first use and kept (a daemon
   * polling every few minutes would otherwise parse the whole root bundle each time). Node replaces the default CAs
   * when `ca` is given, so keeping them lets public servers still verify. A missing file is
   * OTA_ERR_SERVER_UNREACHABLE; undefined (Node's defaults) without a configured file.
   */
  async #secureContextWithCa(): Promise<SecureContext | undefined> {
    const file = this.#config.serverCertificate;
    if (file === undefined) return undefined;
    if (this.#secureContext === undefined) {
      const text = await this.#fs.readText(file);
      if (text === undefined) throw new OtaError("OTA_ERR_SERVER_UNREACHABLE", `server certificate ${file} does not exist`);
      const { rootCertificates, createSecureContext } = await import("node:tls");
      try {
        this.#secureContext = createSecureContext({ ca: [...rootCertificates, text] });
      } catch (err) {
        throw new OtaError("OTA_ERR_SERVER_UNREACHABLE", `server certificate ${file} cannot be used: ${(err as Error).message}`, { cause: err });
      }
    }
    return this.#secureContext;
  }
}
