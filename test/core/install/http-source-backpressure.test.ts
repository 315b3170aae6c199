// HttpSource under a slow consumer: time the writer spends not reading is backpressure, not a stalled server.
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpSource } from "../../../core/install/sources/http-source.js";
import { NodePlatform } from "../../../core/platform/index.js";
import { memoryLogger, pseudoRandom } from "./install-fixtures.js";
import { closeServer, listenLoopback } from "../../helpers/loopback-server.js";

const body = pseudoRandom(4 * 1024 * 1024, 17);
let requests = 0;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { etag: '"v1"', "content-length": body.length, "accept-ranges": "bytes" });
    res.end(body);
  });
  base = await listenLoopback(server);
});
afterAll(async () => {
  await closeServer(server);
});

describe("HttpSource with a slow consumer", () => {
  it("consumer-pauses-longer-than-the-stall-timeout: no stall, no retry, one request", async () => {
    const log = memoryLogger();
    const src = new HttpSource(new NodePlatform(), { connectTimeoutMs: 2000, stallTimeoutMs: 300, retries: 3, backoffMs: 5 }, log);
    const opened = await src.open(`${base}/a.mender`);
    const hash = createHash("sha256");
    let pauses = 0;
    for await (const chunk of opened.stream) {
      hash.update(chunk as Buffer);
      // e.g. an fsync, a read-back of the boot partition, a module busy with the previous file
      if (pauses < 2) {
        pauses += 1;
        await new Promise((r) => setTimeout(r, 700));
      }
    }
    expect(hash.digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
    expect(log.lines.filter((l) => l.event === "source.http.retry")).toEqual([]);
    expect(requests).toBe(1);
  });
});
