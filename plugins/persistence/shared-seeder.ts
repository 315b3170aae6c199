// Seeds slot-shared paths from the running image into /persistent/shared (rpi-image-gen's persistent-shared-init).
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { asOtaError } from "../../core/errors/index.js";
import { PERSISTENT_MOUNT } from "./unit-plan.js";

/**
 * For each path: create `/persistent/shared<path>`, then push the image's copy into it — files missing or different
 * there are (over)written, extra files are kept, nothing is deleted. That is how an updated root delivers new shared
 * defaults while the device's own changes survive. Uses `rsync -a --checksum` when the image has it (image-rota
 * installs it), else `cp -a` (same result; timestamps of unchanged files are refreshed). Runs before var.mount, so a
 * path under /var is read from the image's own /var.
 */
export class SharedSeeder {
  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
  ) {}

  async seed(paths: readonly string[]): Promise<void> {
    const rsync = (await this.platform.run("rsync", ["--version"]).catch(() => undefined))?.code === 0;
    for (const path of paths) {
      const target = `${PERSISTENT_MOUNT}/shared${path}`;
      try {
        await this.platform.fs.mkdir(target, { recursive: true, mode: 0o755 });
        if (!(await this.platform.fs.stat(path))?.isDirectory) continue;
        const src = this.platform.path(path);
        const dst = this.platform.path(target);
        if (rsync) await this.platform.runChecked("rsync", ["-a", "--checksum", "--", `${src}/`, `${dst}/`], { timeoutMs: 10 * 60_000 });
        else await this.platform.runChecked("cp", ["-a", "--", `${src}/.`, dst], { timeoutMs: 10 * 60_000 });
        this.log.info({ event: "persistence.shared.seeded", path, tool: rsync ? "rsync" : "cp" }, `seeded ${target} from ${path}`);
      } catch (err) {
        throw asOtaError(err, "OTA_ERR_PERSIST_SHARED_INIT", `slot-shared ${path}`);
      }
    }
  }
}
