// The sh generator wrapper: never blocks a boot when the agent is missing, passes its arguments on, lints clean.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = join(import.meta.dirname, "../..");
const WRAPPER = join(REPO, "systemd/ota-agent-generator");
const SCRIPTS = [WRAPPER, "packaging/install.sh", "packaging/bin/ota-agent", "packaging/bin/ota-artifact", "packaging/rpi-image-gen/layer/ota-agent.d/customize-ota-agent"];

function run(args: string[], env: Record<string, string>) {
  return spawnSync("sh", [WRAPPER, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
}

describe("ota-agent-generator (sh)", () => {
  it("shell scripts pass shellcheck", () => {
    const r = spawnSync("shellcheck", ["-s", "sh", ...SCRIPTS.map((s) => (s.startsWith("/") ? s : join(REPO, s)))], { encoding: "utf8" });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("agent-missing-logs-and-exits-0-so-boot-goes-on", () => {
    const dir = mkdtempSync(join(tmpdir(), "ota-genwrap-"));
    try {
      const kmsg = join(dir, "kmsg");
      writeFileSync(kmsg, "");
      const r = run([dir, dir, dir], { OTA_AGENT_BIN: join(dir, "absent"), OTA_AGENT_KMSG: kmsg });
      expect(r.status).toBe(0);
      expect(readFileSync(kmsg, "utf8")).toMatch(/^<4>ota-agent-generator: .*absent is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hands all three directories to `ota-agent generate` and keeps its exit code", () => {
    const dir = mkdtempSync(join(tmpdir(), "ota-genwrap-"));
    try {
      const fake = join(dir, "ota-agent");
      writeFileSync(fake, `#!/bin/sh\necho "$@" > "${dir}/args"\necho "agent stderr" >&2\nexit 1\n`);
      chmodSync(fake, 0o755);
      const kmsg = join(dir, "kmsg");
      writeFileSync(kmsg, "");
      const r = run(["/run/g", "/run/g.early", "/run/g.late"], { OTA_AGENT_BIN: fake, OTA_AGENT_KMSG: kmsg });
      expect(r.status).toBe(1);
      expect(readFileSync(join(dir, "args"), "utf8")).toBe("generate /run/g /run/g.early /run/g.late\n");
      // the agent's stderr goes to the kernel log, where a generator's output can be read
      expect(readFileSync(kmsg, "utf8")).toContain("agent stderr");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("no-arguments-is-a-usage-error", () => {
    expect(run([], { OTA_AGENT_KMSG: "/nonexistent/kmsg" }).status).toBe(2);
  });
});
