// HttpSource timeouts and backoff: a server that never answers, a TLS handshake that never completes, growing delays.
import { createServer as createTcpServer, type Server as TcpServer, type Socket, type AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { HttpSource } from "../../../core/install/sources/http-source.js";
import { NodePlatform } from "../../../core/platform/index.js";
import { SystemClock } from "../../../core/platform/system-clock.js";
import { isOtaError } from "../../../core/errors/index.js";
import type { Clock } from "../../../core/capabilities/platform.js";
import { memoryLogger } from "./install-fixtures.js";

/** The real clock, except that sleeps (the retry backoff) are recorded and return at once. */
class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  private readonly real = new SystemClock();
  now(): number {
    return this.real.now();
  }
  monotonic(): number {
    return this.real.monotonic();
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return Promise.resolve();
  }
}

const log = memoryLogger();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  log.lines.length = 0;
});

/** A TCP server that accepts connections and never sends a byte (not even a TLS ServerHello). */
async function silentServer(): Promise<{ port: number; connections: () => number }> {
  const sockets: Socket[] = [];
  const server: TcpServer = createTcpServer((s) => {
    sockets.push(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => sockets.length };
}

function source(clock: Clock, retries: number, timeouts = { connectTimeoutMs: 300, stallTimeoutMs: 300 }): HttpSource {
  return new HttpSource(new NodePlatform({ clock }), { ...timeouts, retries, backoffMs: 100 }, log);
}

describe("HttpSource timeouts and backoff", () => {
  it("server-never-answers: the response timeout fails each attempt with OTA_ERR_SOURCE_TIMEOUT, retried with doubling backoff", async () => {
    const { port, connections } = await silentServer();
    const clock = new RecordingClock();
    const err = await source(clock, 3).open(`http://127.0.0.1:${port}/a.mender`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_TIMEOUT")).toBe(true);
    expect((err as Error).message).toContain(`127.0.0.1:${port}/a.mender`);
    expect(connections()).toBe(4); // 1 + 3 retries, each on a fresh connection
    expect(clock.sleeps).toEqual([100, 200, 400]);
    const retries = log.lines.filter((l) => l.event === "source.http.retry");
    expect(retries.map((l) => l.attempt)).toEqual([1, 2, 3]);
  });

  it("tls-handshake-never-completes: the connect timeout covers the handshake (OTA_ERR_SOURCE_TIMEOUT, not a hang)", async () => {
    const { port, connections } = await silentServer();
    const clock = new RecordingClock();
    const err = await source(clock, 1, { connectTimeoutMs: 300, stallTimeoutMs: 60_000 })
      .open(`https://127.0.0.1:${port}/a.mender`)
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_TIMEOUT")).toBe(true);
    expect(connections()).toBe(2);
    expect(clock.sleeps).toEqual([100]);
  });

  it("redirect-loop: OTA_ERR_SOURCE_HTTP_STATUS after the redirect limit, not retried", async () => {
    let hits = 0;
    const server: Server = createServer((_q, s) => {
      hits += 1;
      s.writeHead(302, { location: `/loop-${hits}` }).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const clock = new RecordingClock();
    const err = await source(clock, 3).open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/a.mender`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_HTTP_STATUS")).toBe(true);
    expect((err as Error).message).toMatch(/a\.mender: Redirected 10 times/);
    expect(hits).toBe(11);
    expect(clock.sleeps).toEqual([]);
  });

  it("the backoff is capped at 60 s however many attempts fail", async () => {
    const server: Server = createServer((_q, s) => s.writeHead(503).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const clock = new RecordingClock();
    const src = new HttpSource(new NodePlatform({ clock }), { connectTimeoutMs: 1000, stallTimeoutMs: 1000, retries: 12, backoffMs: 100 }, log);
    const err = await src.open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/a`).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_SOURCE_HTTP_STATUS")).toBe(true);
    expect(clock.sleeps).toHaveLength(12);
    expect(clock.sleeps.slice(0, 3)).toEqual([100, 200, 400]);
    expect(Math.max(...clock.sleeps)).toBe(60_000);
  });
});
