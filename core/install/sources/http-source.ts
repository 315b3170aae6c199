// ArtifactSource for http(s) URLs: got streams with timeouts, retries with backoff and Range/If-Range resume.
import { Readable } from "node:stream";
import type { ArtifactSource, OpenOptions, OpenedArtifact } from "../../capabilities/artifact-source.js";
import type { Platform } from "../../capabilities/platform.js";
import type { AgentConfig } from "../../config/schema.js";
import type { Logger } from "../../logging/logger.js";
import { OtaError, isOtaError } from "../../errors/index.js";
import { ProgressMeter } from "./progress-meter.js";

type HttpConfig = AgentConfig["install"]["http"];

/** What identifies one version of the remote file, for If-Range. */
interface Validator {
  etag?: string;
  lastModified?: string;
}

/** The URL without credentials or query string (presigned URLs carry secrets there). */
export function safeUrl(uri: string): string {
  try {
    const u = new URL(uri);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

const TLS_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_NOT_YET_VALID",
]);

/** A failed attempt: `retry` says whether another attempt may help. */
class AttemptError extends Error {
  constructor(
    readonly error: OtaError,
    readonly retry: boolean,
  ) {
    super(error.message);
  }
}

/**
 * Resume policy (documented in core/install/README.md): after a drop, the next attempt asks for
 * `Range: bytes=<delivered>-` with `If-Range` (ETag, else Last-Modified). A 206 must start exactly at the
 * delivered offset. A 200 means the server ignored Range (or the file changed): when the validator is unchanged
 * the stream skips the already-delivered prefix, so the consumer never sees a byte twice and hashing and writing
 * simply go on; when the validator changed, the download fails with OTA_ERR_SOURCE_CHANGED (mixing two files'
 * bytes would only be caught by the checksums much later). got's own retry is off: in stream mode it never
 * retries by itself (deps-and-peers.md §2.2); `decompress: false` keeps Range offsets on the raw file.
 */
export class HttpSource implements ArtifactSource {
  readonly name = "http";

  constructor(
    private readonly platform: Platform,
    private readonly http: HttpConfig,
    private readonly log: Logger,
  ) {}

  canOpen(uri: string): boolean {
    return /^https?:\/\//i.test(uri);
  }

  async open(uri: string, options: OpenOptions = {}): Promise<OpenedArtifact> {
    const display = safeUrl(uri);
    // got costs ~20 MB RSS: loaded only when an http(s) URI is actually opened
    const { got } = await import("got");
    const ca = this.http.caFile ? await this.platform.fs.readFile(this.http.caFile) : undefined;
    const clock = this.platform.clock;
    const http = this.http;
    const log = this.log.child({ source: "http", uri: display });
    const headers = options.headers ?? {};
    const signal = options.signal;

    let delivered = 0;
    let validator: Validator | undefined;
    let total: number | undefined;
    let failures = 0;
    const meter = new ProgressMeter(clock, undefined, options.onProgress);

    type GotStream = ReturnType<typeof got.stream>;
    let current: GotStream | undefined;

    /** One request from `delivered` on; resolves with the response stream once its headers were checked. */
    const attempt = async (): Promise<{ req: GotStream; skip: number }> => {
      const reqHeaders: Record<string, string> = { ...headers };
      if (delivered > 0) {
        reqHeaders.range = `bytes=${delivered}-`;
        const v = validator?.etag ?? validator?.lastModified;
        if (v) reqHeaders["if-range"] = v;
      }
      const req = got.stream(uri, {
        headers: reqHeaders,
        decompress: false,
        throwHttpErrors: false,
        retry: { limit: 0 },
        followRedirect: true,
        maxRedirects: 10,
        timeout: { connect: http.connectTimeoutMs, secureConnect: http.connectTimeoutMs, response: http.stallTimeoutMs },
        https: { rejectUnauthorized: true, ...(ca ? { certificateAuthority: ca } : {}) },
        ...(signal ? { signal } : {}),
      });
      current = req;
      const response = await new Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined> }>(
        (resolve, reject) => {
          req.once("response", resolve);
          req.once("error", reject);
        },
      ).catch((err: unknown) => {
        req.destroy();
        throw classify(err, display);
      });
      const status = response.statusCode;
      const h = response.headers;
      const etag = typeof h.etag === "string" ? h.etag : undefined;
      const lastModified = typeof h["last-modified"] === "string" ? h["last-modified"] : undefined;
      if (status === 404 || status === 410) {
        req.destroy();
        throw new AttemptError(
          new OtaError("OTA_ERR_SOURCE_NOT_FOUND", `${display}: HTTP ${status}`, { details: { status, uri: display } }),
          false,
        );
      }
      if (status !== 200 && status !== 206) {
        req.destroy();
        const retry = status >= 500 || status === 408 || status === 429;
        throw new AttemptError(
          new OtaError("OTA_ERR_SOURCE_HTTP_STATUS", `${display}: HTTP ${status}`, { details: { status, uri: display } }),
          retry,
        );
      }
      if (status === 206) {
        const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(h["content-range"] ?? ""));
        if (!range || Number(range[1]) !== delivered) {
          req.destroy();
          throw new AttemptError(
            new OtaError("OTA_ERR_SOURCE_HTTP_STATUS", `${display}: 206 with Content-Range "${String(h["content-range"])}" for offset ${delivered}`, {
              details: { uri: display, contentRange: h["content-range"] },
            }),
            false,
          );
        }
        if (range[3] !== "*") total = Number(range[3]);
        return { req, skip: 0 };
      }
      // 200: the full body from byte 0
      const changed =
        validator?.etag !== undefined
          ? etag !== validator.etag
          : validator?.lastModified !== undefined && lastModified !== validator.lastModified;
      if (delivered > 0 && changed) {
        req.destroy();
        throw new AttemptError(
          new OtaError("OTA_ERR_SOURCE_CHANGED", `${display}: the file changed on the server during the download`, {
            details: { uri: display, before: validator, after: { etag, lastModified } },
          }),
          false,
        );
      }
      if (delivered > 0) {
        log.warn({ event: "source.http.range-ignored", skip: delivered }, "server ignored Range: restarting from byte 0, skipping what was already delivered");
      }
      const length = Number(h["content-length"]);
      if (Number.isFinite(length) && String(h["content-length"]) !== "") total = length;
      validator = {};
      if (etag) validator.etag = etag;
      if (lastModified) validator.lastModified = lastModified;
      return { req, skip: delivered };
    };

    async function* body(): AsyncGenerator<Buffer> {
      try {
        for (;;) {
          let progressed = false;
          try {
            const { req, skip } = await attempt();
            meter.total = total;
            let toSkip = skip;
            let stall: NodeJS.Timeout | undefined;
            const arm = (): void => {
              clearTimeout(stall);
              stall = setTimeout(() => req.destroy(Object.assign(new Error("stalled"), { code: "ESTALL" })), http.stallTimeoutMs);
            };
            // The stall timer runs only while this generator waits for the server: time the consumer spends
            // holding a chunk (backpressure: an fsync, a read-back, a busy module) is not a stalled server.
            arm();
            try {
              for await (const c of req) {
                clearTimeout(stall);
                let chunk = c as Buffer;
                if (toSkip > 0) {
                  if (chunk.length <= toSkip) {
                    toSkip -= chunk.length;
                    arm();
                    continue;
                  }
                  chunk = chunk.subarray(toSkip);
                  toSkip = 0;
                }
                delivered += chunk.length;
                progressed = true;
                failures = 0;
                meter.add(chunk.length);
                yield chunk;
                arm();
              }
            } catch (err) {
              throw classify(err, display);
            } finally {
              clearTimeout(stall);
            }
            if (total !== undefined && delivered < total) {
              throw new AttemptError(
                new OtaError("OTA_ERR_SOURCE_TRUNCATED", `${display}: connection closed at byte ${delivered} of ${total}`, {
                  details: { uri: display, delivered, total },
                }),
                true,
              );
            }
            meter.finish();
            return;
          } catch (err) {
            if (signal?.aborted) throw new OtaError("OTA_ERR_INSTALL_ABORTED", `${display}: download cancelled`, { cause: err });
            const e = err instanceof AttemptError ? err : classify(err, display);
            if (progressed) failures = 0;
            failures += 1;
            if (!e.retry || failures > http.retries) throw e.error;
            const delay = Math.min(http.backoffMs * 2 ** (failures - 1), 60_000);
            log.warn(
              { event: "source.http.retry", code: e.error.code, err: e.error.message, delivered, attempt: failures, delayMs: delay },
              "download attempt failed; resuming",
            );
            if (delivered > 0) meter.resumes += 1;
            await clock.sleep(delay, signal);
          }
        }
      } finally {
        current?.destroy();
      }
    }

    // the first response is awaited here so a 404 or TLS error surfaces from open(), not mid-stream
    const iterator = body();
    const first = await iterator.next();
    async function* rest(): AsyncGenerator<Buffer> {
      try {
        if (first.done) return;
        yield first.value;
        yield* iterator;
      } finally {
        await iterator.return(undefined);
      }
    }
    const stream = Readable.from(rest(), { objectMode: false, highWaterMark: 1024 * 1024 });
    const opened: OpenedArtifact = { stream, displayName: display };
    if (total !== undefined) opened.size = total;
    return opened;
  }
}

/** Maps a got / socket error to an attempt failure, retryable unless it is a TLS verification failure. */
function classify(err: unknown, display: string): AttemptError {
  if (err instanceof AttemptError) return err;
  if (isOtaError(err)) return new AttemptError(err, false);
  const e = err as { code?: string; message?: string; name?: string };
  const code = e.code ?? "";
  const message = e.message ?? String(err);
  if (TLS_CODES.has(code) || /certificate/i.test(message)) {
    return new AttemptError(
      new OtaError("OTA_ERR_SOURCE_TLS", `${display}: TLS: ${message}`, { cause: err, details: { uri: display, sysCode: code } }),
      false,
    );
  }
  if (code === "ERR_TOO_MANY_REDIRECTS") {
    // a redirect loop is a server misconfiguration: retrying it only burns the backoff schedule
    return new AttemptError(
      new OtaError("OTA_ERR_SOURCE_HTTP_STATUS", `${display}: ${message}`, { cause: err, details: { uri: display, sysCode: code } }),
      false,
    );
  }
  if (code === "ETIMEDOUT" || code === "ESTALL" || e.name === "TimeoutError") {
    return new AttemptError(
      new OtaError("OTA_ERR_SOURCE_TIMEOUT", `${display}: ${code === "ESTALL" ? "no data received (stalled)" : message}`, {
        cause: err,
        details: { uri: display, sysCode: code },
      }),
      true,
    );
  }
  return new AttemptError(
    new OtaError("OTA_ERR_SOURCE_CONNECTION", `${display}: ${message}`, { cause: err, details: { uri: display, sysCode: code } }),
    true,
  );
}
