// Builds a Mender client against a fresh dev server and sysroot for one test.
import { DevServer, type DevServerOptions } from "../../sim/server/dev-server.js";
import { DirPlatform } from "../../sim/server/dir-platform.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";
import { MenderClient } from "../../../plugins/server-mender/mender-client.js";
import { MenderConfigSchema, type MenderConfigInput } from "../../../plugins/server-mender/config.js";
import type { InventoryProvider } from "../../../core/capabilities/inventory-provider.js";

export interface MenderFixture {
  server: DevServer;
  platform: DirPlatform;
  log: MemoryLogger;
  client: MenderClient;
  keyFile: string;
  /** A new client over the same sysroot (a restarted agent: same key file, no JWT). */
  restart(): MenderClient;
  close(): Promise<void>;
}

export async function menderFixture(
  options: { server?: DevServerOptions; config?: Partial<MenderConfigInput>; mac?: string; providers?: InventoryProvider[] } = {},
): Promise<MenderFixture> {
  const server = await DevServer.start(options.server);
  const platform = new DirPlatform();
  await platform.put("/sys/class/net/eth0/address", `${options.mac ?? "52:54:00:12:34:56"}\n`);
  await platform.put("/sys/class/net/eth0/type", "1\n");
  await platform.put("/sys/class/net/lo/address", "00:00:00:00:00:00\n");
  const log = new MemoryLogger();
  const config = MenderConfigSchema.parse({
    serverUrl: server.url,
    identityScript: "/usr/share/mender/identity/mender-device-identity",
    requestTimeoutSeconds: 2,
    ...options.config,
  });
  const keyFile = "/data/ota-agent/server-mender/device-key.pem";
  const make = (): MenderClient =>
    new MenderClient({ platform, log, config, keyFile, inventoryProviders: () => options.providers ?? [] });
  return {
    server,
    platform,
    log,
    client: make(),
    keyFile,
    restart: make,
    async close() {
      await server.stop();
      await platform.dispose();
    },
  };
}

export const INSTALLED = {
  deviceType: "raspberrypi5",
  artifactName: "release-1",
  provides: { artifact_name: "release-1", "rootfs-image.version": "release-1", "rootfs-image.checksum": "abc" },
};
