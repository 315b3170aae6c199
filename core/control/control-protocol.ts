// The control socket's wire format: one JSON object per line each way, bounded, with a closed set of requests.
import { OtaError } from "../errors/index.js";

/** Longest line either side accepts (a status document is a few KiB). */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024;

/** What a client may ask. `check-update` / `send-inventory` answer when the poll or the upload is done. */
export const CONTROL_COMMANDS = ["ping", "status", "check-update", "send-inventory"] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

export interface ControlRequest {
  cmd: ControlCommand;
  /** Echoed in the reply, so a client may pipeline requests. */
  id?: string | number;
}

export type ControlReply =
  | { id?: string | number; ok: true; result: unknown }
  | { id?: string | number; ok: false; error: { code: string; message: string } };

/** Parses one request line; throws OTA_ERR_DAEMON_CONTROL_PROTOCOL naming what was wrong. */
export function parseControlRequest(line: string): ControlRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new OtaError("OTA_ERR_DAEMON_CONTROL_PROTOCOL", "control request is not JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new OtaError("OTA_ERR_DAEMON_CONTROL_PROTOCOL", "control request is not a JSON object");
  }
  const { cmd, id } = raw as { cmd?: unknown; id?: unknown };
  if (typeof cmd !== "string" || !(CONTROL_COMMANDS as readonly string[]).includes(cmd)) {
    throw new OtaError("OTA_ERR_DAEMON_CONTROL_PROTOCOL", `unknown control command ${JSON.stringify(cmd)} (known: ${CONTROL_COMMANDS.join(", ")})`, {
      details: { cmd },
    });
  }
  const request: ControlRequest = { cmd: cmd as ControlCommand };
  if (typeof id === "string" || typeof id === "number") request.id = id;
  return request;
}

/**
 * Splits a byte stream into lines, refusing any line longer than the limit (the buffer never grows past it).
 * `push` returns the complete lines; throws OTA_ERR_DAEMON_CONTROL_PROTOCOL on an over-long line.
 */
export class LineSplitter {
  private pending = "";

  constructor(private readonly maxBytes: number = MAX_CONTROL_LINE_BYTES) {}

  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    if (Buffer.byteLength(this.pending) > this.maxBytes || lines.some((l) => Buffer.byteLength(l) > this.maxBytes)) {
      this.pending = "";
      throw new OtaError("OTA_ERR_DAEMON_CONTROL_PROTOCOL", `control message longer than ${this.maxBytes} bytes`, {
        details: { maxBytes: this.maxBytes },
      });
    }
    return lines.map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
  }
}
