// One bounded HTTP(S) exchange with a fleet server (Mender, hawkBit): deadline, size cap, abort, and OTA_ERR_SERVER_* errors naming the endpoint.
import * as http from "node:http";
import * as https from "node:https";
import type { SecureContext } from "node:tls";
import { OtaError } from "../errors/index.js";

export interface ExchangeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH";
  url: URL;
  /** Short name for errors and logs ("POST auth_requests"); never contains credentials. */
  endpoint: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The whole exchange (connect, reply, body) must finish within this. */
  timeoutMs: number;
  /** Replies larger than this are refused as OTA_ERR_SERVER_BAD_REPLY. */
  maxBodyBytes?: number;
  signal?: AbortSignal;
  /**
   * TLS policy. `secureContext` (built once by the caller) beats `ca`: a `ca` string is parsed into a new context on
   * every request, which for a root bundle plus one certificate means ~140 certificates parsed per poll.
   */
  tls?: { ca?: string | Buffer; secureContext?: SecureContext; rejectUnauthorized?: boolean };
}

export interface ExchangeReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

/**
 * Sends one request and collects the reply. Any HTTP status resolves (callers map statuses); network faults,
 * the deadline and oversize replies reject with OtaError (UNREACHABLE, TIMEOUT, BAD_REPLY). Never logs headers.
 */
export function exchange(req: ExchangeRequest): Promise<ExchangeReply> {
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const isHttps = req.url.protocol === "https:";
  if (!isHttps && req.url.protocol !== "http:") {
    return Promise.reject(
      new OtaError("OTA_ERR_SERVER_UNREACHABLE", `${req.endpoint}: unsupported URL scheme ${req.url.protocol}`),
    );
  }
  const headers: Record<string, string | number> = { ...req.headers };
  if (req.body !== undefined) headers["Content-Length"] = Buffer.byteLength(req.body);

  return new Promise<ExchangeReply>((resolve, reject) => {
    let settled = false;
    const finish = (err: OtaError | undefined, reply?: ExchangeReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      if (err) {
        request.destroy();
        reject(err);
      } else resolve(reply as ExchangeReply);
    };
    const options: https.RequestOptions = {
      method: req.method,
      headers,
      agent: false,
      ...(isHttps
        ? {
            ...(req.tls?.secureContext ? { secureContext: req.tls.secureContext } : { ca: req.tls?.ca }),
            rejectUnauthorized: req.tls?.rejectUnauthorized ?? true,
          }
        : {}),
    };
    const request = (isHttps ? https : http).request(req.url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          finish(
            new OtaError("OTA_ERR_SERVER_BAD_REPLY", `${req.endpoint}: reply larger than ${maxBody} bytes`, {
              details: { endpoint: req.endpoint, status: res.statusCode },
            }),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("aborted", () =>
        finish(new OtaError("OTA_ERR_SERVER_UNREACHABLE", `${req.endpoint}: connection dropped mid-reply`, { details: { endpoint: req.endpoint } })),
      );
      res.on("error", (err) =>
        finish(new OtaError("OTA_ERR_SERVER_UNREACHABLE", `${req.endpoint}: ${err.message}`, { cause: err, details: { endpoint: req.endpoint } })),
      );
    });
    request.on("error", (err: NodeJS.ErrnoException) =>
      finish(
        new OtaError("OTA_ERR_SERVER_UNREACHABLE", `${req.endpoint}: ${err.message}`, {
          cause: err,
          details: { endpoint: req.endpoint, sysCode: err.code },
        }),
      ),
    );
    const timer = setTimeout(
      () =>
        finish(
          new OtaError("OTA_ERR_SERVER_TIMEOUT", `${req.endpoint}: no complete reply within ${req.timeoutMs} ms`, {
            details: { endpoint: req.endpoint, timeoutMs: req.timeoutMs },
          }),
        ),
      req.timeoutMs,
    );
    const onAbort = (): void =>
      finish(new OtaError("OTA_ERR_SERVER_UNREACHABLE", `${req.endpoint}: aborted`, { cause: req.signal?.reason, details: { endpoint: req.endpoint, aborted: true } }));
    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    req.signal?.addEventListener("abort", onAbort, { once: true });
    request.end(req.body);
  });
}

/** Parses a JSON reply body, mapping garbage onto OTA_ERR_SERVER_BAD_REPLY naming the endpoint. */
export function parseJsonReply(reply: ExchangeReply, endpoint: string): unknown {
  try {
    return JSON.parse(reply.body.toString("utf8")) as unknown;
  } catch (err) {
    throw new OtaError("OTA_ERR_SERVER_BAD_REPLY", `${endpoint}: reply is not JSON (${reply.body.length} bytes, HTTP ${reply.status})`, {
      cause: err,
      details: { endpoint, status: reply.status },
    });
  }
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when absent
 * or unparseable; never negative.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Maps a non-success HTTP status onto the matching OtaError (429 carries `retryAfterMs`, 401 UNAUTHORIZED). */
export function statusError(reply: ExchangeReply, endpoint: string, nowMs: number): OtaError {
  const serverMessage = serverErrorText(reply.body);
  const suffix = serverMessage ? `: ${serverMessage}` : "";
  if (reply.status === 429) {
    const retryAfterMs = parseRetryAfter(reply.headers["retry-after"], nowMs);
    return new OtaError("OTA_ERR_SERVER_RATE_LIMITED", `${endpoint}: HTTP 429 rate limited${suffix}`, {
      details: { endpoint, status: 429, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    });
  }
  if (reply.status === 401 || reply.status === 403) {
    return new OtaError("OTA_ERR_SERVER_UNAUTHORIZED", `${endpoint}: HTTP ${reply.status} unauthorized${suffix}`, {
      details: { endpoint, status: reply.status },
    });
  }
  const retryAfterMs = parseRetryAfter(reply.headers["retry-after"], nowMs);
  return new OtaError("OTA_ERR_SERVER_STATUS", `${endpoint}: unexpected HTTP ${reply.status}${suffix}`, {
    details: { endpoint, status: reply.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  });
}

/** The server's own error text (`{"error": ...}` on Mender, `message` on hawkBit), bounded, when there is one. */
function serverErrorText(body: Buffer): string | undefined {
  if (body.length === 0 || body.length > 64 * 1024) return undefined;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { error?: unknown; message?: unknown };
    const text = typeof parsed.error === "string" ? parsed.error : typeof parsed.message === "string" ? parsed.message : undefined;
    return text?.slice(0, 200);
  } catch {
    return undefined;
  }
}
