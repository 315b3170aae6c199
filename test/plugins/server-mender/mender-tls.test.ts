// TLS to a Mender server: a self-signed server is refused unless its CA is configured or verification is off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DevServer } from "../../sim/server/dev-server.js";
import { DirPlatform } from "../../sim/server/dir-platform.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";
import { MenderClient } from "../../../plugins/server-mender/mender-client.js";
import { MenderConfigSchema, type MenderConfigInput } from "../../../plugins/server-mender/config.js";

let dir: string;
let server: DevServer;
let platform: DirPlatform;
let certPem: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ota-tls-"));
  // A throwaway self-signed certificate for 127.0.0.1 (openssl is part of the base system here and on devices).
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  certPem = readFileSync(join(dir, "cert.pem"), "utf8");
  server = await DevServer.start({ tls: { key: readFileSync(join(dir, "key.pem")), cert: certPem }, mender: { autoAccept: true } });
  platform = new DirPlatform();
  await platform.put("/sys/class/net/eth0/address", "52:54:00:00:00:09\n");
  await platform.put("/etc/ota/server-ca.pem", certPem);
});

afterAll(async () => {
  expect(server.violations).toEqual([]);
  await server.stop();
  await platform.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function client(config: Partial<MenderConfigInput>): MenderClient {
  return new MenderClient({
    platform,
    log: new MemoryLogger(),
    config: MenderConfigSchema.parse({ serverUrl: server.url, requestTimeoutSeconds: 3, ...config }),
    keyFile: "/data/key.pem",
  });
}

describe("server-mender TLS", () => {
  it("self-signed-server-refused: an unknown CA is UNREACHABLE naming the auth endpoint", async () => {
    await expect(client({}).authenticate()).rejects.toMatchObject({ code: "OTA_ERR_SERVER_UNREACHABLE", message: expect.stringContaining("POST auth_requests") as string });
  });

  it("server-certificate-trusted: the configured CA makes the server verify", async () => {
    await expect(client({ serverCertificate: "/etc/ota/server-ca.pem" }).authenticate()).resolves.toBeUndefined();
  });

  it("skip-verify: verification off connects to the self-signed server", async () => {
    await expect(client({ skipVerify: true }).authenticate()).resolves.toBeUndefined();
  });
});
