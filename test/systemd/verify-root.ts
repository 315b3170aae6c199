// A temporary image root for `systemd-analyze verify`: the host's unit library, stub binaries, our units.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const REPO = join(import.meta.dirname, "../..");
export const HOST_UNITS = "/usr/lib/systemd/system";

export interface VerifyResult {
  code: number | null;
  stderr: string;
  /** Passed: exit 0 and not one diagnostic line (unknown keys only warn, and count as failures here). */
  ok: boolean;
}

/** Creates a root holding the host's unit library, so Requires=/Wants= on standard units resolve. */
export function makeVerifyRoot(root = mkdtempSync(join(tmpdir(), "ota-verify-"))): string {
  mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
  cpSync(HOST_UNITS, join(root, "usr/lib/systemd/system"), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  return root;
}

/** An executable stub at `path` inside the root (verify checks ExecStart= binaries exist and are executable). */
export function stubExecutable(root: string, path: string): void {
  const host = join(root, path);
  mkdirSync(dirname(host), { recursive: true });
  writeFileSync(host, "#!/bin/sh\nexit 0\n");
  chmodSync(host, 0o755);
}

export function verify(root: string, units: readonly string[]): VerifyResult {
  const r = spawnSync("systemd-analyze", ["verify", `--root=${root}`, "--man=no", ...units], {
    encoding: "utf8",
    env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_PAGER: "" },
  });
  const stderr = `${r.stderr}${r.stdout}`.trim();
  return { code: r.status, stderr, ok: r.status === 0 && stderr === "" };
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
