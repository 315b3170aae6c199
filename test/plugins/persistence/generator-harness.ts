// Runs the persistence generator against a fake device and dumps its output directory as comparable text.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { NodePlatform } from "../../../core/platform/index.js";
import type { SlotResolver } from "../../../core/capabilities/slot-resolver.js";
import { BootedSystemDetector } from "../../../plugins/persistence/booted-system.js";
import { KernelLog } from "../../../plugins/persistence/kernel-log.js";
import { PersistenceGenerator } from "../../../plugins/persistence/persistence-generator.js";
import type { FakeDevice } from "./fake-device.js";
import { recordingLogger } from "./test-logger.js";

export const GOLDEN_DIR = join(import.meta.dirname, "../../fixtures/persistence/golden");

export function buildGenerator(device: FakeDevice, options: { device?: string; resolver?: SlotResolver } = {}) {
  const platform = new NodePlatform({ sysroot: device.root });
  const log = recordingLogger();
  const detector = new BootedSystemDetector(platform, "system_a", () => options.resolver);
  const generator = new PersistenceGenerator(platform, detector, new KernelLog(platform, log), {
    device: options.device,
    label: "PERSISTENT",
  });
  return { platform, log, detector, generator };
}

/** Every file and link under `dir`, sorted, as "== path" blocks (links as "== path -> target"). */
export function dumpTree(dir: string): string {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const relPath = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, relPath));
      if (st.isSymbolicLink()) out.push(`== ${relPath} -> ${readlinkSync(join(dir, relPath))}\n`);
      else if (st.isDirectory()) walk(relPath);
      else out.push(`== ${relPath}\n${readFileSync(join(dir, relPath), "utf8")}`);
    }
  };
  walk("");
  return out.join("");
}

/** Compares with the golden file; UPDATE_GOLDEN=1 rewrites it (review the diff before committing). */
export function golden(name: string, actual: string): string {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  return readFileSync(path, "utf8");
}

export function kmsg(device: FakeDevice): string {
  const path = join(device.root, "dev/kmsg");
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}
