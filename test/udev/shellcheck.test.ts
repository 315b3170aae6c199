// Every shell file under udev/ is POSIX sh that shellcheck accepts (dash and busybox ash run them in the initramfs).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { UDEV_DIR } from "./shell-runner.js";

/** Files under udev/ that are shell: a #!/bin/sh line or a shellcheck shell=sh directive (the sourced library). */
function shellFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return shellFiles(path);
    const head = readFileSync(path, "utf8").slice(0, 200);
    return head.startsWith("#!/bin/sh") || head.includes("# shellcheck shell=sh") ? [path] : [];
  });
}

const files = shellFiles(UDEV_DIR);

describe("udev shell files", () => {
  it("include every helper and initramfs script", () => {
    const names = files.map((f) => relative(UDEV_DIR, f)).sort();
    expect(names).toEqual([
      "initramfs/dracut/90ota-slots/module-setup.sh",
      "initramfs/dracut/90ota-slots/ota-root-check.sh",
      "initramfs/initramfs-tools/hooks/ota-slots",
      "initramfs/initramfs-tools/scripts/local-premount/90-ota-ab-root",
      "ota-bootdev-tag",
      "ota-slot-common",
      "ota-slot-label",
      "ota-slot-static",
      "ota-slot-tryboot",
    ]);
  });

  // In sh mode shellcheck also flags bash-only syntax ([[ ]], arrays, local, $'...'): busybox ash must run them.
  it("pass shellcheck -s sh (following the sourced library)", () => {
    const r = spawnSync("shellcheck", ["-s", "sh", "-x", ...files], { encoding: "utf8", cwd: UDEV_DIR });
    expect(r.error, "shellcheck must be installed (scripts/debian-packages.txt)").toBeUndefined();
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

});
