// Wiring: server-mender and inventory-basic loaded by the real plugin host; inventory providers reach the server.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createTestAgent, type TestAgent } from "../../helpers/test-agent.js";
import { DevServer } from "../../sim/server/dev-server.js";
import { TOKENS } from "../../../core/di/tokens.js";
import { resolve } from "../../../core/di/resolve.js";
import serverMender from "../../../plugins/server-mender/index.js";
import serverHawkbit from "../../../plugins/server-hawkbit/index.js";
import inventoryBasic from "../../../plugins/inventory-basic/index.js";
import { mkdir, writeFile } from "node:fs/promises";

let agent: TestAgent | undefined;
let server: DevServer | undefined;
afterEach(async () => {
  await agent?.cleanup();
  if (server) expect(server.violations).toEqual([]);
  await server?.stop();
  agent = undefined;
  server = undefined;
});

describe("server plugins in the agent", () => {
  it("mender-wired: the host builds the client, the key lands in the data dir, inventory carries provider attributes", async () => {
    server = await DevServer.start({ mender: { autoAccept: true } });
    agent = await createTestAgent({
      plugins: [inventoryBasic, serverMender],
      config: { deviceType: "raspberrypi5", dataDir: "/data/ota", plugins: { "server-mender": { serverUrl: server.url, keyType: "ecdsa-p256" } } },
    });
    await mkdir(join(agent.sysroot, "sys/class/net/eth0"), { recursive: true });
    await writeFile(join(agent.sysroot, "sys/class/net/eth0/address"), "52:54:00:aa:bb:cc\n");
    await writeFile(join(agent.sysroot, "sys/class/net/eth0/type"), "1\n");
    const client = resolve(agent.agent.container, TOKENS.DeploymentServer);
    expect(client.name).toBe("server-mender");
    await client.sendInventory({});
    const keyFile = join(agent.sysroot, "data/ota/server-mender/device-key.pem");
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const inventory = Object.fromEntries(server.mender.device?.inventory ?? []);
    expect(inventory).toMatchObject({ device_type: "raspberrypi5", mac_eth0: "52:54:00:aa:bb:cc", network_interfaces: ["eth0"] });
    expect(typeof inventory["ota_agent_version"]).toBe("string");
    expect(client.pollPolicy?.()).toEqual({ updatePollIntervalMs: 1_800_000, inventoryPollIntervalMs: 28_800_000, retryPollIntervalMs: 300_000, retryPollCount: 0 });
  });

  it("hawkbit-config-rejected: unknown keys and both tokens are config errors", async () => {
    await expect(
      createTestAgent({ plugins: [serverHawkbit], config: { plugins: { "server-hawkbit": { serverUrl: "http://127.0.0.1:1", controllerId: "x", bogus: 1 } } } }),
    ).rejects.toMatchObject({ code: "OTA_ERR_PLUGIN_CONFIG_INVALID" });
    await expect(
      createTestAgent({
        plugins: [serverHawkbit],
        config: { plugins: { "server-hawkbit": { serverUrl: "http://127.0.0.1:1", controllerId: "x", targetToken: "a", gatewayToken: "b" } } },
      }),
    ).rejects.toMatchObject({ code: "OTA_ERR_PLUGIN_CONFIG_INVALID" });
  });
});
