// HttpSource against a loopback server with fault modes: drops, ignored Range, changed files, stalls, redirects.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpSource, safeUrl } from "../../../core/install/sources/http-source.js";
import { NodePlatform } from "../../../core/platform/index.js";
import { isOtaError } from "../../../core/errors/index.js";
import type { SourceProgress } from "../../../core/capabilities/artifact-source.js";
import { memoryLogger, pseudoRandom } from "./install-fixtures.js";
import { closeServer, listenLoopback } from "../../helpers/loopback-server.js";

const body = pseudoRandom(3 * 1024 * 1024, 7);
const sha = createHash("sha256").update(body).digest("hex");

type Mode = "ok" | "drop-once" | "ignore-range" | "changed" | "always-drop-no-range" | "stall-once" | "redirect" | "500-once" | "401";
let mode: Mode = "ok";
let requests: { range?: string; ifRange?: string }[] = [];
let server: Server;
let base: string;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const n = requests.length;
  requests.push({ range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined });
  if (req.url === "/missing") {
    res.writeHead(404).end();
    return;
  }
  if (mode === "redirect" && req.url === "/file") {
    res.writeHead(302, { location: "/real" }).end();
    return;
  }
  if (mode === "401") {
    res.writeHead(401).end();
    return;
  }
  if (mode === "500-once" && n === 0) {
    res.writeHead(503).end();
    return;
  }
  const etag = mode === "changed" && n > 0 ? '"v2"' : '"v1"';
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const honour = range && mode !== "ignore-range" && mode !== "always-drop-no-range" && req.headers["if-range"] === etag;
  const start = honour ? Number(range[1]) : 0;
  const headers: Record<string, string | number> = { etag, "content-length": body.length - start, "accept-ranges": "bytes" };
  if (honour) headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
  res.writeHead(honour ? 206 : 200, headers);
  const slice = body.subarray(start);
  const dropNow = (mode === "drop-once" || mode === "ignore-range" || mode === "changed") && n === 0;
  if (dropNow || mode === "always-drop-no-range") {
    res.write(slice.subarray(0, 1024 * 1024 + 123), () => res.socket?.destroy());
    return;
  }
  if (mode === "stall-once" && n === 0) {
    res.write(slice.subarray(0, 500_000)); // then nothing: the client must time out and resume
    return;
  }
  res.end(slice);
}

beforeAll(async () => {
  server = createServer(handler);
  base = await listenLoopback(server);
});
afterAll(async () => {
  await closeServer(server);
});
beforeEach(() => {
  requests = [];
  mode = "ok";
});

const log = memoryLogger();
function source(retries = 3): HttpSource {
  return new HttpSource(
    new NodePlatform(),
    { connectTimeoutMs: 2000, stallTimeoutMs: 400, retries, backoffMs: 5 },
    log,
  );
}

async function readAll(uri: string, onProgress?: (p: SourceProgress) => void): Promise<Buffer> {
  const opened = await source().open(uri, onProgress ? { onProgress } : {});
  const parts: Buffer[] = [];
  for await (const chunk of opened.stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const hash = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("HttpSource", () => {
  it("downloads a file with progress", async () => {
    const progress: SourceProgress[] = [];
    const data = await readAll(`${base}/file`, (p) => progress.push(p));
    expect(hash(data)).toBe(sha);
    expect(progress.at(-1)).toMatchObject({ bytes: body.length, total: body.length, resumes: 0 });
  });

  it("connection-dropped-mid-payload: resumes with Range and If-Range, same byte stream", async () => {
    mode = "drop-once";
    const progress: SourceProgress[] = [];
    const data = await readAll(`${base}/file`, (p) => progress.push(p));
    expect(hash(data)).toBe(sha);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual({ range: `bytes=${1024 * 1024 + 123}-`, ifRange: '"v1"' });
    expect(progress.at(-1)?.resumes).toBe(1);
  });

  it("server-ignores-range: restarts from 0 but the consumer sees no byte twice", async () => {
    mode = "ignore-range";
    const data = await readAll(`${base}/file`);
    expect(data.length).toBe(body.length);
    expect(hash(data)).toBe(sha);
    expect(log.lines.some((l) => l.event === "source.http.range-ignored")).toBe(true);
  });

  it("file-changed-between-resumes: OTA_ERR_SOURCE_CHANGED, no mixed bytes", async () => {
    mode = "changed";
    const err = await readAll(`${base}/file`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_CHANGED")).toBe(true);
  });

  it("truncated-stream-without-range-support: fails after the retries with a source error", async () => {
    mode = "always-drop-no-range";
    const err = await readAll(`${base}/file`).catch((e: unknown) => e);
    expect(isOtaError(err)).toBe(true);
    expect(["OTA_ERR_SOURCE_CONNECTION", "OTA_ERR_SOURCE_TRUNCATED"]).toContain((err as { code: string }).code);
    expect(requests.length).toBe(4); // 1 + 3 retries
  });

  it("server-stalls: the stall timeout drops the connection and the download resumes", async () => {
    mode = "stall-once";
    const data = await readAll(`${base}/file`);
    expect(hash(data)).toBe(sha);
    expect(requests[1]?.range).toBe("bytes=500000-");
  });

  it("follows redirects", async () => {
    mode = "redirect";
    expect(hash(await readAll(`${base}/file`))).toBe(sha);
  });

  it("retries a 503 before any byte", async () => {
    mode = "500-once";
    expect(hash(await readAll(`${base}/file`))).toBe(sha);
    expect(requests).toHaveLength(2);
  });

  it("404 is OTA_ERR_SOURCE_NOT_FOUND from open(), without retries", async () => {
    const err = await source().open(`${base}/missing`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_NOT_FOUND")).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it("401 is OTA_ERR_SOURCE_HTTP_STATUS, not retried", async () => {
    mode = "401";
    const err = await source().open(`${base}/file`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_HTTP_STATUS")).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it("nothing listening: OTA_ERR_SOURCE_CONNECTION after retries", async () => {
    const err = await source(1).open("http://127.0.0.1:9/file").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_CONNECTION")).toBe(true);
  });

  it("TLS verification is on: a self-signed server is refused with OTA_ERR_SOURCE_TLS", async () => {
    const { createServer: createTls } = await import("node:https");
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const dir = mkdtempSync("/tmp/ota-tls-");
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${dir}/k.pem`, "-out", `${dir}/c.pem`, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
      const tls = createTls({ key: readFileSync(`${dir}/k.pem`), cert: readFileSync(`${dir}/c.pem`) }, (_q, s) => s.end("x"));
      await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
      const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/f`;
      try {
        const err = await source().open(url).catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_SOURCE_TLS")).toBe(true);
        // with the CA configured it is trusted
        const trusted = new HttpSource(new NodePlatform(), { connectTimeoutMs: 2000, stallTimeoutMs: 400, retries: 0, backoffMs: 5, caFile: `${dir}/c.pem` }, log);
        const opened = await trusted.open(url);
        const parts: Buffer[] = [];
        for await (const c of opened.stream) parts.push(c as Buffer);
        expect(Buffer.concat(parts).toString()).toBe("x");
      } finally {
        tls.closeAllConnections();
        await new Promise((r) => tls.close(r));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("display names drop credentials and query strings", () => {
    expect(safeUrl("https://user:pw@host/a/b.mender?X-Amz-Signature=secret")).toBe("https://host/a/b.mender");
  });
});
