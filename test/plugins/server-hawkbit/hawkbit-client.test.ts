// The hawkBit client against the dev server: polling, deploymentBase, policies, feedback, cancel, configData, tokens.
import { afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { DevServer, type DevServerOptions } from "../../sim/server/dev-server.js";
import { DirPlatform } from "../../sim/server/dir-platform.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";
import { HawkbitClient } from "../../../plugins/server-hawkbit/hawkbit-client.js";
import { HawkbitConfigSchema, type HawkbitConfigInput } from "../../../plugins/server-hawkbit/config.js";
import type { Deployment } from "../../../core/capabilities/deployment-server.js";
import type { InventoryProvider } from "../../../core/capabilities/inventory-provider.js";
import { otaRejection } from "../../helpers/ota-rejection.js";

interface Fx {
  server: DevServer;
  platform: DirPlatform;
  log: MemoryLogger;
  client: HawkbitClient;
}
let fx: Fx | undefined;
afterEach(async () => {
  if (fx) {
    expect(fx.server.violations).toEqual([]);
    await fx.server.stop();
    await fx.platform.dispose();
  }
  fx = undefined;
});

const INSTALLED = { deviceType: "raspberrypi5", artifactName: "release-1", provides: { artifact_name: "release-1" } };
const ARTIFACT = Buffer.from("mender-artifact-bytes-0123456789");

async function setup(
  options: { server?: DevServerOptions; config?: Partial<HawkbitConfigInput>; providers?: InventoryProvider[]; token?: string | null } = {},
): Promise<Fx> {
  const server = await DevServer.start(options.server);
  if (options.token !== null) server.hawkbit.addTarget("pi-0001", options.token ?? "target-secret");
  const platform = new DirPlatform();
  const log = new MemoryLogger();
  const config = HawkbitConfigSchema.parse({
    serverUrl: server.url,
    controllerId: "pi-0001",
    ...(options.token === null ? {} : { targetToken: options.token ?? "target-secret" }),
    requestTimeoutSeconds: 2,
    ...options.config,
  });
  const client = new HawkbitClient({ platform, log, config, inventoryProviders: () => options.providers ?? [] });
  fx = { server, platform, log, client };
  return fx;
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      // "close" also fires when the server drops the connection midway: the bytes so far are the result.
      res.on("close", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("server-hawkbit polling and deployments", () => {
  it("no-action: nothing to do, with the server's sleep as the next poll delay", async () => {
    const f = await setup({ server: { hawkbit: { sleep: "00:00:45" } } });
    await expect(f.client.nextDeployment(INSTALLED)).resolves.toEqual({ kind: "nothing", retryAfterMs: 45_000 });
    expect(f.client.pollPolicy().updatePollIntervalMs).toBe(45_000);
  });

  it("deployment-base: picks the .mender artifact, passes sha256, size and the download link", async () => {
    const f = await setup();
    const id = f.server.hawkbit.createAction({
      controllerId: "pi-0001",
      name: "rootfs",
      version: "2.0",
      artifacts: [
        { filename: "release-notes.txt", data: Buffer.from("notes") },
        { filename: "image-2.0.mender", data: ARTIFACT },
      ],
    });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    expect(d).toMatchObject({
      id: String(id),
      artifactName: "rootfs-2.0",
      sha256: createHash("sha256").update(ARTIFACT).digest("hex"),
      size: ARTIFACT.length,
      policy: { download: "forced", update: "forced" },
      server: "server-hawkbit",
    });
    expect(d.uri).toContain("/softwaremodules/");
    expect(d.uri).toContain("image-2.0.mender");
    // The download from the server's own origin needs the token; the artifact serves with ranges.
    const headers = f.client.downloadHeaders(d);
    expect(headers).toEqual({ Authorization: "TargetToken target-secret" });
    const got = await get(d.uri, headers);
    expect(got.status).toBe(200);
    expect(got.body.equals(ARTIFACT)).toBe(true);
    expect(await get(d.uri, {}).then((r) => r.status)).toBe(401);
  });

  it("artifact-name-from-metadata and update.tar.zst accepted", async () => {
    const f = await setup();
    f.server.hawkbit.createAction({
      controllerId: "pi-0001",
      artifacts: [{ filename: "update.tar.zst", data: ARTIFACT }],
      metadata: [{ key: "artifact_name", value: "release-7" }],
    });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    expect(d.artifactName).toBe("release-7");
  });

  it("no-matching-artifact: the action is closed as failed and NO_ARTIFACT names the files", async () => {
    const f = await setup();
    const id = f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "firmware.bin", data: ARTIFACT }] });
    const err = await otaRejection(f.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_NO_ARTIFACT");
    expect(err.message).toContain("firmware.bin");
    expect(f.server.hawkbit.feedbackSummary(id)).toEqual(["closed/failure"]);
    await expect(f.client.nextDeployment(INSTALLED)).resolves.toMatchObject({ kind: "nothing" });
  });

  for (const mode of ["skip", "attempt", "forced"] as const) {
    it(`policy-${mode}: download/update modes map onto Deployment.policy`, async () => {
      const f = await setup();
      f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "a.mender", data: ARTIFACT }], download: mode === "skip" ? "forced" : mode, update: mode });
      const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
      expect(d.policy).toEqual({ download: mode === "skip" ? "forced" : mode, update: mode });
    });
  }

  it("maintenance-window: unavailable means download only, available means install", async () => {
    const f = await setup();
    const id = f.server.hawkbit.createAction({
      controllerId: "pi-0001",
      artifacts: [{ filename: "a.mender", data: ARTIFACT }],
      update: "skip",
      maintenanceWindow: "unavailable",
    });
    expect(((await f.client.nextDeployment(INSTALLED)) as Deployment).policy).toEqual({ download: "forced", update: "skip", maintenanceWindow: "unavailable" });
    const action = f.server.hawkbit.actions.get(id);
    if (action) {
      action.update = "forced";
      action.maintenanceWindow = "available";
    }
    expect(((await f.client.nextDeployment(INSTALLED)) as Deployment).policy).toEqual({ download: "forced", update: "forced", maintenanceWindow: "available" });
  });

  it("already-installed: the same artifact name closes the action as success without a deployment", async () => {
    const f = await setup();
    const id = f.server.hawkbit.createAction({
      controllerId: "pi-0001",
      artifacts: [{ filename: "a.mender", data: ARTIFACT }],
      metadata: [{ key: "artifact_name", value: "release-1" }],
    });
    await expect(f.client.nextDeployment(INSTALLED)).resolves.toMatchObject({ kind: "nothing" });
    expect(f.server.hawkbit.feedbackSummary(id)).toEqual(["closed/success"]);
  });

  it("confirmation-required: the action is confirmed and then offered in the same poll", async () => {
    const f = await setup();
    const id = f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "a.mender", data: ARTIFACT }], confirmationRequired: true });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    expect(d.id).toBe(String(id));
    expect(f.server.hawkbit.actions.get(id)?.confirmations.map((c) => c.confirmation)).toEqual(["confirmed"]);
  });

  it("confirmation-off: with autoConfirm false the action keeps waiting and nothing is offered", async () => {
    const f = await setup({ config: { autoConfirm: false } });
    const id = f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "a.mender", data: ARTIFACT }], confirmationRequired: true });
    await expect(f.client.nextDeployment(INSTALLED)).resolves.toMatchObject({ kind: "nothing" });
    expect(f.server.hawkbit.actions.get(id)?.state).toBe("waiting");
    expect(f.log.events).toContain("server.deployment.awaiting-confirmation");
  });

  it("base-garbage: a non-JSON poll reply is BAD_REPLY naming the endpoint", async () => {
    const f = await setup();
    f.server.fault({ endpoint: "hawkbit.base", kind: "garbage" });
    const err = await otaRejection(f.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_BAD_REPLY");
    expect(err.message).toContain("GET controller base");
  });

  it("base-slow: TIMEOUT naming the endpoint", async () => {
    const f = await setup({ config: { requestTimeoutSeconds: 0.3 } });
    f.server.fault({ endpoint: "hawkbit.base", kind: "slow", delayMs: 1500 });
    const err = await otaRejection(f.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_TIMEOUT");
    expect(err.message).toContain("GET controller base");
  });

  it("rate-limited: 429 Retry-After becomes the retry delay", async () => {
    const f = await setup();
    f.server.fault({ endpoint: "hawkbit.base", kind: "status", status: 429, retryAfter: "7" });
    const err = await otaRejection(f.client.nextDeployment(INSTALLED));
    expect(err.code).toBe("OTA_ERR_SERVER_RATE_LIMITED");
    expect(f.client.retryDelayMs(err, 1, 300_000)).toBe(7000);
  });
});

describe("server-hawkbit feedback", () => {
  async function started(f: Fx): Promise<{ d: Deployment; id: number }> {
    const id = f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "a.mender", data: ARTIFACT }] });
    return { d: (await f.client.nextDeployment(INSTALLED)) as Deployment, id };
  }

  it("status-sequence: states map onto DDI executions; success closes the action", async () => {
    const f = await setup();
    const { d, id } = await started(f);
    for (const status of ["downloading", "pause_before_installing", "installing", "rebooting", "success"] as const) {
      await expect(f.client.reportStatus(d, { status })).resolves.toBe("ok");
    }
    expect(f.server.hawkbit.feedbackSummary(id)).toEqual(["download/none", "downloaded/none", "proceeding/none", "proceeding/none", "closed/success"]);
    expect(f.server.hawkbit.actions.get(id)?.state).toBe("closed");
  });

  it("progress-rate-limited: 100 progress ticks become a handful of feedback messages", async () => {
    const f = await setup({ config: { progressStepPercent: 10, minFeedbackIntervalSeconds: 5 } });
    const { d, id } = await started(f);
    for (let p = 0; p <= 100; p++) {
      await f.client.reportStatus(d, { status: "downloading", progress: p });
      await f.platform.clock.sleep(1000); // one virtual second per tick
    }
    const sent = f.server.hawkbit.actions.get(id)?.feedback ?? [];
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(12);
    expect(sent.map((s) => s.status.result.progress?.cnt)).toContain(100);
    expect(sent.every((s) => s.status.execution === "download")).toBe(true);
  });

  it("failure-carries-log: the closing failure feedback holds the substate and the newest log lines", async () => {
    const f = await setup();
    const { d, id } = await started(f);
    await f.client.reportStatus(d, { status: "failure", substate: "health check failed" });
    expect(f.server.hawkbit.feedbackSummary(id)).toEqual([]);
    const lines = Array.from({ length: 80 }, (_, i) => ({ timestamp: "2026-11-21T12:00:00Z", level: "info", message: `line ${i}` }));
    await f.client.uploadLog(d, lines);
    const fb = f.server.hawkbit.actions.get(id)?.feedback ?? [];
    expect(fb.map((x) => `${x.status.execution}/${x.status.result.finished}`)).toEqual(["closed/failure"]);
    const details = fb[0]?.status.details ?? [];
    expect(details).toHaveLength(50);
    expect(details[0]).toBe("health check failed");
    expect(details.at(-1)).toContain("line 79");
  });

  it("failure-without-log-upload: the held failure is sent at the next call", async () => {
    const f = await setup();
    const { d, id } = await started(f);
    await f.client.reportStatus(d, { status: "failure" });
    await f.client.nextDeployment(INSTALLED);
    expect(f.server.hawkbit.feedbackSummary(id)).toEqual(["closed/failure"]);
  });

  it("cancel-during-deployment: cancelAction is confirmed and the next report says aborted", async () => {
    const f = await setup();
    const { d, id } = await started(f);
    await f.client.reportStatus(d, { status: "downloading" });
    f.server.hawkbit.cancel(id);
    await expect(f.client.reportStatus(d, { status: "installing" })).resolves.toBe("aborted");
    const action = f.server.hawkbit.actions.get(id);
    expect(action?.state).toBe("canceled");
    expect(action?.cancelFeedback.map((x) => `${x.status.execution}/${x.status.result.finished}`)).toEqual(["closed/success"]);
    await expect(f.client.reportStatus(d, { status: "failure" })).resolves.toBe("aborted");
    expect(f.log.events).toContain("server.deployment.aborted");
  });

  it("cancel-before-start: a pending cancel is confirmed on poll and nothing is offered", async () => {
    const f = await setup();
    const id = f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "a.mender", data: ARTIFACT }] });
    f.server.hawkbit.cancel(id);
    await expect(f.client.nextDeployment(INSTALLED)).resolves.toMatchObject({ kind: "nothing" });
    expect(f.server.hawkbit.actions.get(id)?.state).toBe("canceled");
  });

  it("feedback-gone-410: a closed action's feedback resolves aborted", async () => {
    const f = await setup();
    const { d, id } = await started(f);
    const action = f.server.hawkbit.actions.get(id);
    if (action) action.state = "closed";
    await expect(f.client.reportStatus(d, { status: "success" })).resolves.toBe("aborted");
  });

  it("final-feedback-retried: a 500 on the closing feedback is retried after a delay", async () => {
    const f = await setup();
    const { d, id } = await started(f);
    f.server.fault({ endpoint: "hawkbit.feedback", kind: "status", status: 500 });
    await expect(f.client.reportStatus(d, { status: "success", critical: true })).resolves.toBe("ok");
    expect(f.platform.clock.sleeps).toHaveLength(1);
    expect(f.server.hawkbit.feedbackSummary(id)).toEqual(["closed/success"]);
  });
});

describe("server-hawkbit configData and auth", () => {
  it("config-data-when-asked: provider attributes are PUT (merge), arrays joined, then the link disappears", async () => {
    const f = await setup({ providers: [{ name: "p", collect: () => Promise.resolve({ os: "Debian", mac: ["aa", "bb"] }) }] });
    f.server.hawkbit.requestConfigData("pi-0001");
    await f.client.nextDeployment(INSTALLED);
    const t = f.server.hawkbit.targets.get("pi-0001");
    expect(t?.configDataCalls).toEqual([{ mode: "merge", data: { mac: "aa, bb", os: "Debian" } }]);
    await f.client.nextDeployment(INSTALLED);
    expect(t?.configDataCalls).toHaveLength(1);
  });

  it("wrong-target-token: 401 is UNAUTHORIZED", async () => {
    const f = await setup({ config: { targetToken: "nope" } });
    expect((await otaRejection(f.client.authenticate())).code).toBe("OTA_ERR_SERVER_UNAUTHORIZED");
  });

  it("gateway-token: a tenant token works for a target the server does not know yet", async () => {
    const f = await setup({ server: { hawkbit: { gatewayToken: "gw-secret" } }, token: null, config: { gatewayToken: "gw-secret" } });
    await f.client.authenticate();
    const req = f.server.requests.at(-1);
    expect(req?.status).toBe(200);
    expect(f.server.hawkbit.targets.has("pi-0001")).toBe(true);
  });

  it("download-on-other-host-without-token: a CDN link never gets the token", async () => {
    const f = await setup();
    const d: Deployment = { id: "1", artifactName: "x", uri: "https://cdn.example.com/a.mender", policy: { download: "forced", update: "forced" }, server: "server-hawkbit" };
    expect(f.client.downloadHeaders(d)).toEqual({});
  });

  it("download-dropped-midway-then-range-resume", async () => {
    const f = await setup();
    f.server.hawkbit.createAction({ controllerId: "pi-0001", artifacts: [{ filename: "a.mender", data: ARTIFACT }] });
    const d = (await f.client.nextDeployment(INSTALLED)) as Deployment;
    f.server.fault({ endpoint: "hawkbit.download", kind: "drop" });
    const first = await get(d.uri, f.client.downloadHeaders(d));
    expect(first.body.length).toBeLessThan(ARTIFACT.length);
    const rest = await get(d.uri, { ...f.client.downloadHeaders(d), Range: `bytes=${first.body.length}-` });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([first.body, rest.body]).equals(ARTIFACT)).toBe(true);
  });
});
