// HttpSource resume edge cases: a 206 at the wrong offset, Last-Modified as the only validator, no validator at all.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpSource } from "../../../core/install/sources/http-source.js";
import { NodePlatform } from "../../../core/platform/index.js";
import { isOtaError } from "../../../core/errors/index.js";
import { memoryLogger, pseudoRandom } from "./install-fixtures.js";
import { closeServer, listenLoopback } from "../../helpers/loopback-server.js";

const body = pseudoRandom(2 * 1024 * 1024, 23);
const DROP_AT = 700_001;
type Mode = "wrong-offset" | "last-modified" | "no-validator";
let mode: Mode = "wrong-offset";
let requests: { range?: string; ifRange?: string }[] = [];
let server: Server;
let base: string;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const n = requests.length;
  requests.push({ range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined });
  const headers: Record<string, string | number> = { "accept-ranges": "bytes" };
  if (mode === "last-modified") headers["last-modified"] = "Sat, 21 Nov 2026 10:00:00 GMT";
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (n > 0 && range) {
    // a broken cache: answers 206 but from a different offset than asked
    const start = mode === "wrong-offset" ? Number(range[1]) - 1000 : Number(range[1]);
    headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    headers["content-length"] = body.length - start;
    res.writeHead(206, headers);
    res.end(body.subarray(start));
    return;
  }
  headers["content-length"] = body.length;
  res.writeHead(200, headers);
  res.write(body.subarray(0, DROP_AT), () => res.socket?.destroy());
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
});

async function readAll(uri: string): Promise<Buffer> {
  const src = new HttpSource(new NodePlatform(), { connectTimeoutMs: 2000, stallTimeoutMs: 1000, retries: 3, backoffMs: 5 }, memoryLogger());
  const opened = await src.open(uri);
  const parts: Buffer[] = [];
  for await (const c of opened.stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("HttpSource resume edge cases", () => {
  it("range-answered-at-wrong-offset: OTA_ERR_SOURCE_HTTP_STATUS naming the offset, no byte mixed in, not retried", async () => {
    mode = "wrong-offset";
    const err = await readAll(`${base}/a.mender`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_HTTP_STATUS")).toBe(true);
    expect((err as Error).message).toContain(`offset ${DROP_AT}`);
    expect(requests).toHaveLength(2);
  });

  it("Last-Modified is the If-Range validator when there is no ETag", async () => {
    mode = "last-modified";
    expect(sha(await readAll(`${base}/a.mender`))).toBe(sha(body));
    expect(requests[1]).toEqual({ range: `bytes=${DROP_AT}-`, ifRange: "Sat, 21 Nov 2026 10:00:00 GMT" });
  });

  it("without any validator the resume still asks for the remaining range (no If-Range) and the bytes are exact", async () => {
    mode = "no-validator";
    expect(sha(await readAll(`${base}/a.mender`))).toBe(sha(body));
    expect(requests[1]).toEqual({ range: `bytes=${DROP_AT}-`, ifRange: undefined });
  });
});
