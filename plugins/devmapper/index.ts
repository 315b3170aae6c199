// Entry of devmapper: sysfs block lineage for slot resolvers, and the early-boot LUKS opener.
import { definePlugin } from "../../core/plugin-host/define-plugin.js";
import { TOKENS } from "../../core/di/tokens.js";
import { resolve } from "../../core/di/resolve.js";
import { manifest } from "./manifest.js";
import { SysfsBlockLineage } from "./sysfs-block-lineage.js";
import { LuksOpener } from "./luks-opener.js";
import { readBootloaderDt } from "../../core/slots/device-tree.js";

export default definePlugin(manifest, async (scope, ctx) => {
  const platform = resolve(scope, TOKENS.Platform);
  const lineage = new SysfsBlockLineage(platform);
  const opener = new LuksOpener(
    platform,
    lineage,
    async () => (await readBootloaderDt(platform.fs)).disk,
    ctx.log,
    { containers: ctx.config.containers, timeoutMs: ctx.config.timeoutMs },
  );
  return { exports: { "block-lineage": lineage, "boot-task": [opener] } };
});
