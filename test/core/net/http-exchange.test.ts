// The bounded HTTP exchange against loopback servers that misbehave: oversize, dropped, hanging and aborted replies.
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { exchange, statusError } from "../../../core/net/http-exchange.js";
import { otaRejection } from "../../helpers/ota-rejection.js";
import { closeServer, listenLoopback } from "../../helpers/loopback-server.js";

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await closeServer(s);
});

/** A loopback server answering every request with `reply`; resolves to its base URL. */
async function serve(reply: (res: ServerResponse) => void): Promise<URL> {
  const s = createServer((_req, res) => reply(res));
  server = s;
  return new URL(`${await listenLoopback(s)}/`);
}

describe("exchange", () => {
  it("collects status, headers and body; a 500 resolves (callers map statuses)", async () => {
    const url = await serve((res) => res.writeHead(500, { "x-a": "1" }).end("boom"));
    const reply = await exchange({ method: "GET", url, endpoint: "GET x", timeoutMs: 5000 });
    expect(reply.status).toBe(500);
    expect(reply.headers["x-a"]).toBe("1");
    expect(reply.body.toString()).toBe("boom");
  });

  it("reply-larger-than-cap is OTA_ERR_SERVER_BAD_REPLY naming the endpoint", async () => {
    const url = await serve((res) => res.end(Buffer.alloc(4096, 1)));
    const err = await otaRejection(exchange({ method: "GET", url, endpoint: "GET big", timeoutMs: 5000, maxBodyBytes: 1024 }));
    expect(err.code).toBe("OTA_ERR_SERVER_BAD_REPLY");
    expect(err.message).toContain("GET big");
  });

  it("server-hangs-after-headers is OTA_ERR_SERVER_TIMEOUT", async () => {
    const url = await serve((res) => res.writeHead(200, { "content-length": 10 }).write("abc"));
    const err = await otaRejection(exchange({ method: "GET", url, endpoint: "GET slow", timeoutMs: 200 }));
    expect(err.code).toBe("OTA_ERR_SERVER_TIMEOUT");
    expect(err.details["timeoutMs"]).toBe(200);
  });

  it("connection-dropped-mid-reply is OTA_ERR_SERVER_UNREACHABLE", async () => {
    const url = await serve((res) => res.writeHead(200, { "content-length": 10 }).write("abc", () => res.socket?.destroy()));
    const err = await otaRejection(exchange({ method: "GET", url, endpoint: "GET drop", timeoutMs: 5000 }));
    expect(err.code).toBe("OTA_ERR_SERVER_UNREACHABLE");
  });

  it("aborted-while-waiting is UNREACHABLE marked aborted (not a transient fault to retry)", async () => {
    const url = await serve(() => undefined);
    const ac = new AbortController();
    const pending = exchange({ method: "GET", url, endpoint: "GET wait", timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await otaRejection(pending);
    expect(err.code).toBe("OTA_ERR_SERVER_UNREACHABLE");
    expect(err.details["aborted"]).toBe(true);
  });

  it("unsupported-url-scheme is refused without a connection", async () => {
    const err = await otaRejection(exchange({ method: "GET", url: new URL("ftp://127.0.0.1/"), endpoint: "GET ftp", timeoutMs: 1000 }));
    expect(err.code).toBe("OTA_ERR_SERVER_UNREACHABLE");
    expect(err.message).toContain("ftp:");
  });
});

describe("statusError", () => {
  const reply = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, headers, body: Buffer.from(body) });

  it("429 carries retryAfterMs and the server's own error text", () => {
    const err = statusError(reply(429, '{"error":"slow down"}', { "retry-after": "7" }), "POST x", 0);
    expect(err.code).toBe("OTA_ERR_SERVER_RATE_LIMITED");
    expect(err.details["retryAfterMs"]).toBe(7000);
    expect(err.message).toContain("slow down");
  });

  it("401 and 403 are UNAUTHORIZED; other statuses are STATUS with hawkBit's message", () => {
    expect(statusError(reply(403, ""), "GET x", 0).code).toBe("OTA_ERR_SERVER_UNAUTHORIZED");
    const err = statusError(reply(502, '{"message":"gateway"}'), "GET x", 0);
    expect(err.code).toBe("OTA_ERR_SERVER_STATUS");
    expect(err.message).toContain("gateway");
  });
});
