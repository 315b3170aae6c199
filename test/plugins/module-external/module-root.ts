// Test helper: a throwaway sysroot with one fixture Update Module installed where the agent looks for modules.
import { chmod, copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { NodePlatform } from "../../../core/platform/index.js";

/** Copies test/fixtures/modules/`fixture` to `exe` (an absolute device path) under a new sysroot. */
export async function moduleRoot(prefix: string, fixture: string, exe: string): Promise<{ root: string; platform: NodePlatform }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(root, dirname(exe)), { recursive: true });
  await copyFile(new URL(`../../fixtures/modules/${fixture}`, import.meta.url).pathname, join(root, exe));
  await chmod(join(root, exe), 0o755);
  return { root, platform: new NodePlatform({ sysroot: root }) };
}
