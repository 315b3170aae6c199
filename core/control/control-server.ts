// The daemon's control socket: a root-only unix socket answering JSON-line requests (check-update, status...).
import { chmod } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Platform } from "../capabilities/platform.js";
import { OtaError, asOtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import { LineSplitter, parseControlRequest, type ControlCommand, type ControlReply } from "./control-protocol.js";

/** Answers one request; a throw becomes an `ok: false` reply with the error's code. */
export type ControlHandler = (cmd: ControlCommand) => Promise<unknown>;

export interface ControlServerOptions {
  /** A connection idle this long is closed, ms. */
  idleTimeoutMs?: number;
  /** More simultaneous clients are refused by the kernel's backlog, not queued in memory. */
  maxConnections?: number;
}

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Node's net module has no portable SO_PEERCRED, so access control is the file's: the socket is created mode
 * 0600 (the daemon runs as root, so only root can connect) inside a directory the daemon creates 0700 when it is
 * missing (systemd's RuntimeDirectory= otherwise). Clients check owner and mode before they talk (control-client).
 * The socket lives on the host (`platform.path`), as any socket must; the daemon binds it, nothing else does.
 */
export class ControlServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    /** Host path of the socket file. */
    readonly hostPath: string,
    private readonly log: Logger,
  ) {}

  /**
   * Binds `socketPath` (device path). A leftover socket of a dead daemon is replaced; a live one is an
   * OTA_ERR_DAEMON_CONTROL error, as is a path too long for a unix socket or a directory that cannot be made.
   */
  static async listen(platform: Platform, socketPath: string, handler: ControlHandler, log: Logger, options: ControlServerOptions = {}): Promise<ControlServer> {
    const hostPath = platform.path(socketPath);
    if (Buffer.byteLength(hostPath) > MAX_SOCKET_PATH_BYTES) {
      throw new OtaError("OTA_ERR_DAEMON_CONTROL", `control socket path ${hostPath} is longer than a unix socket allows (${MAX_SOCKET_PATH_BYTES} bytes)`, {
        details: { path: hostPath },
      });
    }
    try {
      await platform.fs.mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw asOtaError(err, "OTA_ERR_DAEMON_CONTROL", `control socket directory ${dirname(socketPath)}`);
    }
    const existing = await platform.fs.lstat(socketPath);
    if (existing) {
      // Only ever replace a socket: a file, directory or link at the configured path is a mistake, not ours to delete.
      if (existing.isFile || existing.isDirectory || existing.isSymbolicLink || existing.isBlockDevice) {
        throw new OtaError("OTA_ERR_DAEMON_CONTROL", `control socket path ${socketPath} is taken by something that is not a socket`, { details: { path: socketPath } });
      }
      if (await answers(hostPath)) {
        throw new OtaError("OTA_ERR_DAEMON_CONTROL", `another daemon already answers on ${socketPath}`, { details: { path: socketPath } });
      }
      await platform.fs.unlink(socketPath).catch(() => undefined);
    }
    const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    const holder: { self?: ControlServer } = {};
    const server = createServer((socket) => holder.self?.serve(socket, handler, idleTimeoutMs));
    server.maxConnections = options.maxConnections ?? 16;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(asOtaError(err, "OTA_ERR_DAEMON_CONTROL", `control socket ${socketPath}`)));
      server.listen(hostPath, () => resolve());
    });
    try {
      await chmod(hostPath, 0o600);
    } catch (err) {
      server.close();
      throw asOtaError(err, "OTA_ERR_DAEMON_CONTROL", `control socket ${socketPath}: chmod 0600`);
    }
    holder.self = new ControlServer(server, hostPath, log);
    return holder.self;
  }

  /** Stops listening, closes open connections and removes the socket file. Idempotent. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket, handler: ControlHandler, idleTimeoutMs: number): void {
    this.sockets.add(socket);
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const lines = new LineSplitter();
    // Requests of one connection are answered in order; a slow check-update holds only its own connection.
    let queue = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      let batch: string[];
      try {
        batch = lines.push(chunk);
      } catch (err) {
        this.reply(socket, { ok: false, error: errorOf(err) }, true);
        return;
      }
      for (const line of batch) {
        queue = queue.then(() => this.answer(socket, line, handler));
      }
    });
  }

  private async answer(socket: Socket, line: string, handler: ControlHandler): Promise<void> {
    if (socket.destroyed) return;
    let id: string | number | undefined;
    try {
      const request = parseControlRequest(line);
      id = request.id;
      this.log.debug({ event: "control.request", cmd: request.cmd }, `control request ${request.cmd}`);
      const result = await handler(request.cmd);
      this.reply(socket, { ...(id !== undefined ? { id } : {}), ok: true, result });
    } catch (err) {
      const error = errorOf(err);
      this.reply(socket, { ...(id !== undefined ? { id } : {}), ok: false, error }, error.code === "OTA_ERR_DAEMON_CONTROL_PROTOCOL");
    }
  }

  private reply(socket: Socket, reply: ControlReply, end = false): void {
    if (socket.destroyed) return;
    const text = JSON.stringify(reply) + "\n";
    if (end) socket.end(text);
    else socket.write(text);
  }
}

function errorOf(err: unknown): { code: string; message: string } {
  const e = asOtaError(err, "OTA_ERR_INTERNAL");
  return { code: e.code, message: e.message };
}

/** True when something accepts connections on the socket (a live daemon). */
function answers(hostPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(hostPath);
    const done = (alive: boolean): void => {
      probe.destroy();
      resolve(alive);
    };
    probe.setTimeout(1_000, () => done(false));
    probe.once("connect", () => done(true));
    probe.once("error", () => done(false));
  });
}
