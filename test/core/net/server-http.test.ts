// ServerHttp: the configured deadline and CA file apply to every request; the debug line never carries headers.
import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NodePlatform } from "../../../core/platform/index.js";
import { ServerHttp } from "../../../core/net/server-http.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";
import { otaRejection } from "../../helpers/ota-rejection.js";
import { closeServer, listenLoopback } from "../../helpers/loopback-server.js";

let server: Server | undefined;
let root: string | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await closeServer(s);
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function setup(config: { requestTimeoutSeconds: number; serverCertificate?: string }) {
  root = await mkdtemp(join(tmpdir(), "server-http-"));
  let requests = 0;
  const s = createServer((_req, res) => {
    requests += 1;
    res.end("ok");
  });
  server = s;
  const url = new URL(`${await listenLoopback(s)}/`);
  const log = new MemoryLogger();
  const http = new ServerHttp(new NodePlatform({ sysroot: root }).fs, log, { skipVerify: false, ...config });
  return { url, log, http, requests: () => requests };
}

describe("ServerHttp", () => {
  it("logs one server.http debug line with endpoint and status, never the Authorization header", async () => {
    const { url, log, http } = await setup({ requestTimeoutSeconds: 5 });
    const reply = await http.send({ method: "GET", url, endpoint: "GET poll", headers: { Authorization: "Bearer secret-token" } });
    expect(reply.body.toString()).toBe("ok");
    expect(log.lines).toEqual([{ level: "debug", obj: { event: "server.http", endpoint: "GET poll", status: 200 }, msg: "server exchange" }]);
    expect(JSON.stringify(log.lines)).not.toContain("secret-token");
  });

  it("server-certificate-file-missing fails every call before any request, naming the file", async () => {
    const { url, http, requests } = await setup({ requestTimeoutSeconds: 5, serverCertificate: "/etc/ota/missing-ca.pem" });
    const err = await otaRejection(http.send({ method: "GET", url, endpoint: "GET poll" }));
    expect(err.code).toBe("OTA_ERR_SERVER_UNREACHABLE");
    expect(err.message).toContain("/etc/ota/missing-ca.pem");
    expect(requests()).toBe(0);
  });
});
