// Asks a running daemon over its control socket; tells "no daemon" apart from a daemon that failed the request.
import { lstat } from "node:fs/promises";
import { createConnection } from "node:net";
import type { Platform } from "../capabilities/platform.js";
import { ERROR_CODES, OtaError, type OtaErrorCode } from "../errors/index.js";
import { LineSplitter, type ControlCommand, type ControlReply } from "./control-protocol.js";

/** The daemon is not running (no socket, or nobody listening on a leftover one): the caller acts alone. */
export const NO_DAEMON: unique symbol = Symbol("no daemon");

export interface ControlClientOptions {
  /** The whole exchange (connect, request, reply), ms. check-update waits for a poll: give it the server timeout. */
  timeoutMs?: number;
  /** The uid the socket must belong to. Default: root (0) or this process's uid (a daemon run by this user: tests). */
  ownerUid?: number;
}

/**
 * Sends one request and returns the daemon's `result`, or NO_DAEMON. Throws OTA_ERR_DAEMON_CONTROL when the
 * socket is not one our daemon made (wrong owner, group/other access) or the exchange fails or times out, and
 * the daemon's own error (code and message) when it answered `ok: false`.
 */
export async function sendControlRequest(
  platform: Platform,
  socketPath: string,
  cmd: ControlCommand,
  options: ControlClientOptions = {},
): Promise<unknown> {
  const hostPath = platform.path(socketPath);
  const stat = await lstat(hostPath).catch(() => undefined);
  if (!stat) return NO_DAEMON;
  const ownerUid = options.ownerUid ?? (process.getuid?.() ?? 0);
  const ownerOk = options.ownerUid !== undefined ? stat.uid === ownerUid : stat.uid === 0 || stat.uid === ownerUid;
  if (!stat.isSocket() || !ownerOk || (stat.mode & 0o077) !== 0) {
    // Someone else planted this path: never send it requests (nor trust its answers).
    throw new OtaError(
      "OTA_ERR_DAEMON_CONTROL",
      `control socket ${socketPath} is not a socket owned by uid ${ownerUid} with mode 0600 (found uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)})`,
      { details: { path: socketPath } },
    );
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise<unknown>((resolve, reject) => {
    const socket = createConnection(hostPath);
    const lines = new LineSplitter();
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new OtaError("OTA_ERR_DAEMON_CONTROL", `daemon did not answer ${cmd} on ${socketPath} within ${timeoutMs} ms`, { details: { path: socketPath, cmd } }))),
      timeoutMs,
    );
    socket.once("connect", () => socket.write(JSON.stringify({ cmd }) + "\n"));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // A socket file without a listener is what a killed daemon leaves behind.
      if (err.code === "ECONNREFUSED" || err.code === "ENOENT") finish(() => resolve(NO_DAEMON));
      else finish(() => reject(new OtaError("OTA_ERR_DAEMON_CONTROL", `control socket ${socketPath}: ${err.message}`, { cause: err, details: { path: socketPath } })));
    });
    socket.on("data", (chunk: Buffer) => {
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch (err) {
        finish(() => reject(err));
        return;
      }
      const line = got[0];
      if (line === undefined) return;
      finish(() => {
        let reply: ControlReply;
        try {
          reply = JSON.parse(line) as ControlReply;
        } catch {
          reject(new OtaError("OTA_ERR_DAEMON_CONTROL_PROTOCOL", `daemon's reply to ${cmd} is not JSON`));
          return;
        }
        if (reply.ok) resolve(reply.result);
        else reject(new OtaError(knownCode(reply.error?.code), reply.error?.message ?? "daemon refused the request", { details: { cmd, daemonCode: reply.error?.code } }));
      });
    });
    socket.on("end", () => finish(() => reject(new OtaError("OTA_ERR_DAEMON_CONTROL", `daemon closed ${socketPath} without answering ${cmd}`, { details: { path: socketPath } }))));
  });
}

/** The daemon's code when this agent knows it (so exit codes map), else the generic control error. */
function knownCode(code: string | undefined): OtaErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code) ? (code as OtaErrorCode) : "OTA_ERR_DAEMON_CONTROL";
}
