// The Mender client against the dev server: admission, JWT renewal, next deployment, statuses, logs, inventory, faults.
import { afterEach, describe, expect, it } from "vitest";
import { request } from "node:http";
import type { Deployment } from "../../../core/capabilities/deployment-server.js";
import { INSTALLED, menderFixture, type MenderFixture } from "./mender-fixture.js";
import { isTransientServerError } from "../../../plugins/server-mender/poll-policy.js";
import { otaRejection } from "../../helpers/ota-rejection.js";

let fx: MenderFixture | undefined;
afterEach(async () => {
  if (fx) {
    // Whatever the test did, the agent never sent a request the published documents reject.
    expect(fx.server.violations).toEqual([]);
    await fx.close();
  }
  fx = undefined;
});

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      // "close" also fires when the server drops the connection midway: the bytes so far are the result.
      res.on("close", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end();
  });
}

async function acceptedFixture(options: Parameters<typeof menderFixture>[0] = {}): Promise<MenderFixture> {
  const f = await menderFixture({ ...options, server: { ...options.server, mender: { autoAccept: true, ...options.server?.mender } } });
  fx = f;
  return f;
}

describe("server-mender authentication", () => {
  it("device-pending-then-accepted: first request is refused, accepted device gets a JWT", async () => {
    fx = await menderFixture();
    const err = await otaRejection(fx.client.authenticate());
    expect(err.code).toBe("OTA_ERR_SERVER_UNAUTHORIZED");
    expect(fx.server.mender.device?.identity).toBe('{"mac":"52:54:00:12:34:56"}');
    fx.server.mender.accept();
    await fx.client.authenticate();
    expect(fx.client.authenticated).toBe(true);
    expect(fx.log.events).toContain("server.auth.ok");
  });

  it("key-created-once: the key file is 0600, written durably and reused after a restart", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    const stat = await fx.platform.fs.stat(fx.keyFile);
    expect((stat?.mode ?? 0) & 0o777).toBe(0o600);
    expect(fx.platform.durableWrites).toContain(fx.keyFile);
    const pem = (await fx.platform.fs.readFile(fx.keyFile)).toString();
    await fx.restart().authenticate();
    expect((await fx.platform.fs.readFile(fx.keyFile)).toString()).toBe(pem);
    // Same key → same auth set: no new pending entry on the server.
    expect(fx.server.mender.device?.authSets.size).toBe(1);
  });

  it("identity-script: key=value lines with a repeated key become an array in id_data", async () => {
    fx = await acceptedFixture();
    await fx.platform.put(
      "/usr/share/mender/identity/mender-device-identity",
      "#!/bin/sh\necho serial=0001\necho mac=aa:bb:cc:dd:ee:01\necho mac=aa:bb:cc:dd:ee:02\n",
      0o755,
    );
    await fx.client.authenticate();
    expect(JSON.parse(fx.server.mender.device?.identity ?? "{}")).toEqual({ mac: ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"], serial: "0001" });
  });

  it("identity-script-fails: a failing identity script is an identity error, not a silent MAC fallback", async () => {
    fx = await acceptedFixture();
    await fx.platform.put("/usr/share/mender/identity/mender-device-identity", "#!/bin/sh\nexit 3\n", 0o755);
    expect((await otaRejection(fx.client.authenticate())).code).toBe("OTA_ERR_SERVER_IDENTITY");
  });

  it("wrong-tenant-token: the server refuses the device", async () => {
    fx = await acceptedFixture({ server: { mender: { tenantToken: "right" } }, config: { tenantToken: "wrong" } });
    expect((await otaRejection(fx.client.authenticate())).code).toBe("OTA_ERR_SERVER_UNAUTHORIZED");
  });

  it("jwt-expired-renewed-once: a 401 on a call re-authenticates and repeats the call", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    fx.server.mender.expireTokens();
    await expect(fx.client.nextDeployment(INSTALLED)).resolves.toEqual({ kind: "nothing" });
    const auths = fx.server.requests.filter((r) => r.endpoint === "mender.auth");
    expect(auths).toHaveLength(2);
    expect(fx.log.events).toContain("server.auth.renew");
  });

  it("concurrent-calls-share-one-authentication: overlapping first calls and 401 renewals authenticate once each", async () => {
    fx = await acceptedFixture();
    await Promise.all([fx.client.nextDeployment(INSTALLED), fx.client.sendInventory({ a: "1" }), fx.client.nextDeployment(INSTALLED)]);
    expect(fx.server.requests.filter((r) => r.endpoint === "mender.auth")).toHaveLength(1);
    fx.server.mender.expireTokens();
    await Promise.all([fx.client.nextDeployment(INSTALLED), fx.client.sendInventory({ a: "2" })]);
    expect(fx.server.requests.filter((r) => r.endpoint === "mender.auth")).toHaveLength(2);
  });

  it("device-rejected-after-accept: 401 after renewal surfaces as UNAUTHORIZED (one retry only)", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    fx.server.mender.reject();
    expect((await otaRejection(fx.client.nextDeployment(INSTALLED))).code).toBe("OTA_ERR_SERVER_UNAUTHORIZED");
    expect(fx.server.requests.filter((r) => r.endpoint === "mender.auth")).toHaveLength(2);
  });
});

describe("server-mender next deployment", () => {
  it("v2-next: device_provides carries device_type, artifact_name and every provide", async () => {
    fx = await acceptedFixture({ server: { mender: { enterprise: true } } });
    const id = fx.server.mender.createDeployment({ artifactName: "release-2", artifact: Buffer.from("artifact-bytes"), deviceTypes: ["raspberrypi5"] });
    const d = (await fx.client.nextDeployment(INSTALLED)) as Deployment;
    expect(d).toMatchObject({ id, artifactName: "release-2", server: "server-mender", policy: { download: "forced", update: "forced" } });
    expect(fx.server.mender.v2Requests[0]).toEqual({
      device_provides: { ...INSTALLED.provides, device_type: "raspberrypi5", artifact_name: "release-1" },
    });
    expect(fx.server.requests.some((r) => r.endpoint === "mender.next.v1")).toBe(false);
  });

  it("v2-404-falls-back-to-v1: the open-source server's 404 leads to the v1 GET, then v1 only", async () => {
    fx = await acceptedFixture();
    const id = fx.server.mender.createDeployment({ artifactName: "release-2", artifact: Buffer.from("x"), deviceTypes: ["raspberrypi5"] });
    const d = (await fx.client.nextDeployment(INSTALLED)) as Deployment;
    expect(d.id).toBe(id);
    await fx.client.nextDeployment(INSTALLED);
    const next = fx.server.requests.filter((r) => r.endpoint.startsWith("mender.next")).map((r) => `${r.endpoint} ${r.status}`);
    expect(next).toEqual(["mender.next.v2 404", "mender.next.v1 200", "mender.next.v1 200"]);
    const v1 = fx.server.requests.find((r) => r.endpoint === "mender.next.v1");
    expect(new URLSearchParams(v1?.query).get("artifact_name")).toBe("release-1");
    expect(new URLSearchParams(v1?.query).get("device_type")).toBe("raspberrypi5");
  });

  it("no-deployment-204: nothing to do is a value", async () => {
    fx = await acceptedFixture();
    await expect(fx.client.nextDeployment(INSTALLED)).resolves.toEqual({ kind: "nothing" });
  });

  it("same-artifact-already-installed: the server records already-installed and answers 204", async () => {
    fx = await acceptedFixture();
    const id = fx.server.mender.createDeployment({ artifactName: "release-1", artifact: Buffer.from("x"), deviceTypes: ["raspberrypi5"] });
    await expect(fx.client.nextDeployment(INSTALLED)).resolves.toEqual({ kind: "nothing" });
    expect(fx.server.mender.statuses(id)).toEqual(["already-installed"]);
  });

  it("next-reply-garbage: a non-JSON 200 is BAD_REPLY naming the endpoint", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "status", status: 404 });
    fx.server.fault({ endpoint: "mender.next.v1", kind: "garbage" });
    const err = await otaRejection(fx.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_BAD_REPLY");
    expect(err.message).toContain("GET next (v1)");
  });

  it("next-reply-wrong-shape: JSON without artifact.source.uri is BAD_REPLY", async () => {
    fx = await acceptedFixture({ server: { mender: { enterprise: true } } });
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "status", status: 200, body: '{"id":"x","artifact":{"artifact_name":"a"}}' });
    expect((await otaRejection(fx.client.nextDeployment(INSTALLED))).code).toBe("OTA_ERR_SERVER_BAD_REPLY");
  });

  it("next-reply-slow: a reply slower than the deadline is TIMEOUT naming the endpoint", async () => {
    fx = await acceptedFixture({ config: { requestTimeoutSeconds: 0.3 } });
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "slow", delayMs: 1500 });
    const err = await otaRejection(fx.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_TIMEOUT");
    expect(err.message).toContain("POST next (v2)");
  });

  it("server-hangs-agent-stops: an abort signal ends a hanging call at once, marked as aborted (not retried)", async () => {
    fx = await acceptedFixture({ config: { requestTimeoutSeconds: 30 } });
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "hang" });
    const stop = new AbortController();
    const pending = otaRejection(fx.client.nextDeployment(INSTALLED, stop.signal));
    setTimeout(() => stop.abort(new Error("agent stopping")), 100);
    const err = await pending;
    expect(err.code).toBe("OTA_ERR_SERVER_UNREACHABLE");
    expect(err.details["aborted"]).toBe(true);
    expect(isTransientServerError(err)).toBe(false);
  });

  it("connection-dropped: a reset connection is UNREACHABLE, never a crash", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "drop" });
    expect((await otaRejection(fx.client.nextDeployment(INSTALLED))).code).toBe("OTA_ERR_SERVER_UNREACHABLE");
  });

  it("server-500: OTA_ERR_SERVER_STATUS with the status, retried by the scheduler with the backoff", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "status", status: 500 });
    const err = await otaRejection(fx.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_STATUS");
    expect(err.details["status"]).toBe(500);
    const regular = fx.client.pollPolicy().updatePollIntervalMs;
    expect([1, 2, 3, 4, 7, 10, 12, 13].map((n) => fx?.client.retryDelayMs(err, n, regular))).toEqual([
      60_000, 60_000, 60_000, 120_000, 240_000, 300_000, 300_000, 1_800_000,
    ]);
  });

  it("rate-limited-429: Retry-After seconds win over the backoff", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "status", status: 429, retryAfter: "120" });
    const err = await otaRejection(fx.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_RATE_LIMITED");
    expect(err.details["retryAfterMs"]).toBe(120_000);
    expect(fx.client.retryDelayMs(err, 1, 1_800_000)).toBe(120_000);
  });

  it("rate-limited-429-http-date: Retry-After as an HTTP date is honoured", async () => {
    fx = await acceptedFixture();
    await fx.client.authenticate();
    // HTTP dates are read against the platform clock (virtual here), never the host's.
    const at = new Date(fx.platform.clock.now() + 90_000).toUTCString();
    fx.server.fault({ endpoint: "mender.next.v2", kind: "status", status: 429, retryAfter: at });
    const err = await otaRejection(fx.client.nextDeployment(INSTALLED));
    const ms = err.details["retryAfterMs"] as number;
    expect(ms).toBeGreaterThan(80_000);
    expect(ms).toBeLessThanOrEqual(90_000);
  });
});

describe("server-mender deployment status and log", () => {
  async function deployment(f: MenderFixture): Promise<Deployment> {
    f.server.mender.createDeployment({ artifactName: "release-2", artifact: Buffer.from("artifact"), deviceTypes: ["raspberrypi5"] });
    return (await f.client.nextDeployment(INSTALLED)) as Deployment;
  }

  it("status-sequence: every state's status reaches the server in order, substate included", async () => {
    const f = await acceptedFixture();
    const d = await deployment(f);
    for (const status of ["downloading", "installing", "rebooting", "installing", "success"] as const) {
      await expect(f.client.reportStatus(d, { status, ...(status === "rebooting" ? { substate: "trial boot of slot b" } : {}) })).resolves.toBe("ok");
    }
    expect(f.server.mender.statuses(d.id)).toEqual(["downloading", "installing", "rebooting", "installing", "success"]);
    expect(f.server.mender.deployments.get(d.id)?.perDevice.values().next().value?.statuses[2]).toEqual({ status: "rebooting", substate: "trial boot of slot b" });
  });

  for (const status of ["downloading", "installing", "rebooting", "success", "failure"] as const) {
    it(`aborted-at-${status}: 409 resolves "aborted"`, async () => {
      const f = await acceptedFixture();
      const d = await deployment(f);
      f.server.mender.abort(d.id);
      await expect(f.client.reportStatus(d, { status })).resolves.toBe("aborted");
      expect(f.log.events).toContain("server.deployment.aborted");
    });
  }

  it("final-status-retried: a critical report survives two 500s with the backoff's delays", async () => {
    const f = await acceptedFixture();
    const d = await deployment(f);
    f.server.fault({ endpoint: "mender.status", kind: "status", status: 500, times: 2 });
    await expect(f.client.reportStatus(d, { status: "success", critical: true })).resolves.toBe("ok");
    expect(f.platform.clock.sleeps).toEqual([60_000, 60_000]);
    expect(f.server.mender.statuses(d.id)).toEqual(["success"]);
  });

  it("non-critical-not-retried: without critical a report fails at once (the caller owns the retries)", async () => {
    const f = await acceptedFixture();
    const d = await deployment(f);
    f.server.fault({ endpoint: "mender.status", kind: "status", status: 503 });
    expect((await otaRejection(f.client.reportStatus(d, { status: "downloading" }))).code).toBe("OTA_ERR_SERVER_STATUS");
    f.server.fault({ endpoint: "mender.status", kind: "status", status: 503 });
    expect((await otaRejection(f.client.reportStatus(d, { status: "success" }))).code).toBe("OTA_ERR_SERVER_STATUS");
    expect(f.platform.clock.sleeps).toEqual([]);
  });

  it("critical-gives-up: a server that keeps failing is given up on after the backoff's 12 tries", async () => {
    const f = await acceptedFixture();
    const d = await deployment(f);
    f.server.fault({ endpoint: "mender.status", kind: "status", status: 500, times: 50 });
    expect((await otaRejection(f.client.reportStatus(d, { status: "success", critical: true }))).code).toBe("OTA_ERR_SERVER_STATUS");
    expect(f.platform.clock.sleeps).toEqual([60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 240_000, 240_000, 240_000, 300_000, 300_000, 300_000]);
  });

  it("log-upload: failure log lines reach the server as messages", async () => {
    const f = await acceptedFixture();
    const d = await deployment(f);
    await f.client.reportStatus(d, { status: "failure" });
    const lines = [
      { timestamp: "2026-11-21T12:00:00.000Z", level: "info", message: "downloading" },
      { timestamp: "2026-11-21T12:00:01.000Z", level: "error", message: "payload checksum mismatch" },
    ];
    await f.client.uploadLog(d, lines);
    expect(f.server.mender.logs(d.id)).toEqual([lines]);
  });

  it("log-too-large: the body is capped by dropping the oldest lines behind a truncation note", async () => {
    const f = await acceptedFixture();
    const d = await deployment(f);
    const lines = Array.from({ length: 12_000 }, (_, i) => ({ timestamp: "2026-11-21T12:00:00.000Z", level: "info", message: `line ${i} ${"x".repeat(80)}` }));
    await f.client.uploadLog(d, lines);
    const got = f.server.mender.logs(d.id)[0] ?? [];
    expect(got[0]?.message).toBe("(THIS LOG IS TRUNCATED)");
    expect(got.at(-1)?.message).toContain("line 11999");
    expect(got.length).toBeLessThan(lines.length);
    expect(Buffer.byteLength(JSON.stringify({ messages: got }))).toBeLessThanOrEqual(1000 * 1000 - 256);
  });
});

describe("server-mender inventory", () => {
  it("inventory-providers-and-scripts: merged, repeated script keys become arrays, PUT replaces", async () => {
    const f = await acceptedFixture({
      providers: [
        { name: "fake", collect: () => Promise.resolve({ device_type: "raspberrypi5", os: "Debian" }) },
        { name: "broken", collect: () => Promise.reject(new Error("boom")) },
      ],
    });
    await f.platform.put("/usr/share/mender/inventory/mender-inventory-net", "#!/bin/sh\necho ipv4_eth0=10.0.0.2/24\necho dns=1.1.1.1\necho dns=8.8.8.8\n", 0o755);
    await f.platform.put("/usr/share/mender/inventory/mender-inventory-bad", "#!/bin/sh\necho half=1\nexit 1\n", 0o755);
    await f.platform.put("/usr/share/mender/inventory/not-an-inventory-script", "#!/bin/sh\necho nope=1\n", 0o755);
    await f.client.sendInventory({ extra: "1" });
    const inv = Object.fromEntries(f.server.mender.device?.inventory ?? []);
    expect(inv).toEqual({ device_type: "raspberrypi5", os: "Debian", ipv4_eth0: "10.0.0.2/24", dns: ["1.1.1.1", "8.8.8.8"], extra: "1" });
    expect(f.server.mender.device?.inventoryCalls.map((c) => c.method)).toEqual(["PUT"]);
    expect(f.log.events).toContain("server.inventory.provider-failed");
    expect(f.log.events).toContain("server.inventory.script-failed");
  });

  it("inventory-unchanged-skipped: the same payload is not sent twice until re-authentication", async () => {
    const f = await acceptedFixture();
    expect(f.client.inventorySent).toBe(false);
    await f.client.sendInventory({ a: "1" });
    expect(f.client.inventorySent).toBe(true);
    await f.client.sendInventory({ a: "1" });
    expect(f.server.mender.device?.inventoryCalls).toHaveLength(1);
    await f.client.sendInventory({ a: "2" });
    expect(f.server.mender.device?.inventoryCalls).toHaveLength(2);
  });

  it("inventory-put-405-patch: an old server's 405 switches to PATCH", async () => {
    const f = await acceptedFixture();
    f.server.mender.patchOnlyInventory();
    await f.client.sendInventory({ a: "1" });
    expect(f.server.mender.device?.inventoryCalls.map((c) => c.method)).toEqual(["PATCH"]);
    expect(Object.fromEntries(f.server.mender.device?.inventory ?? [])).toEqual({ a: "1" });
  });
});

describe("server-mender artifact download", () => {
  it("presigned-download-without-authorization: downloadHeaders adds nothing and the link serves ranges", async () => {
    const f = await acceptedFixture();
    const artifact = Buffer.from("0123456789abcdef");
    f.server.mender.createDeployment({ artifactName: "release-2", artifact, deviceTypes: ["raspberrypi5"] });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    expect(f.client.downloadHeaders()).toEqual({});
    const whole = await get(d.uri, f.client.downloadHeaders());
    expect(whole.status).toBe(200);
    expect(whole.body.equals(artifact)).toBe(true);
    const part = await get(d.uri, { Range: "bytes=10-" });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe("abcdef");
    expect(part.headers["content-range"]).toBe("bytes 10-15/16");
    const downloads = f.server.requests.filter((r) => r.endpoint === "mender.download");
    expect(downloads.every((r) => !r.hadAuthorization)).toBe(true);
  });

  it("download-dropped-midway-then-range-resume: the rest arrives as 206 with the same ETag", async () => {
    const f = await acceptedFixture();
    const artifact = Buffer.from("x".repeat(4096) + "y".repeat(4096));
    f.server.mender.createDeployment({ artifactName: "release-2", artifact, deviceTypes: ["raspberrypi5"] });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    f.server.fault({ endpoint: "mender.download", kind: "drop" });
    const first = await get(d.uri);
    expect(first.body.length).toBeLessThan(artifact.length);
    const rest = await get(d.uri, { Range: `bytes=${first.body.length}-` });
    expect(rest.status).toBe(206);
    expect(rest.headers["etag"]).toBe(first.headers["etag"]);
    expect(Buffer.concat([first.body, rest.body]).equals(artifact)).toBe(true);
  });

  it("presigned-link-expired: the storage answers 403", async () => {
    const f = await acceptedFixture();
    f.server.mender.createDeployment({ artifactName: "release-2", artifact: Buffer.from("x"), deviceTypes: ["raspberrypi5"] });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    f.server.mender.expireLinks();
    expect((await get(d.uri)).status).toBe(403);
  });
});
