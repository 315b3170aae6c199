// The generate and persistent-init commands: argument handling, failure isolation, slot-shared seeding.
import { afterEach, describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BootTask, BootTaskContext } from "../../../core/capabilities/boot-task.js";
import type { CliIo } from "../../../core/capabilities/cli-command.js";
import { GenerateCommand } from "../../../plugins/persistence/generate-command.js";
import { PersistentInitCommand } from "../../../plugins/persistence/persistent-init-command.js";
import { BootTaskCommand } from "../../../plugins/persistence/boot-task-command.js";
import { PersistenceTask } from "../../../plugins/persistence/persistence-task.js";
import { FreshVar } from "../../../plugins/persistence/fresh-var.js";
import { SharedSeeder } from "../../../plugins/persistence/shared-seeder.js";
import { makeFakeDevice, type FakeDevice } from "./fake-device.js";
import { buildGenerator } from "./generator-harness.js";
import { recordingLogger } from "./test-logger.js";

function io(): CliIo & { err: () => string } {
  const stderr = new PassThrough();
  let err = "";
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  return { stdout: new PassThrough(), stderr, isTty: false, json: false, err: () => err };
}

let devices: FakeDevice[] = [];
afterEach(() => {
  for (const d of devices) d.cleanup();
  devices = [];
});

describe("ota-agent generate", () => {
  it("one-failing-generator-task-does-not-stop-the-others", async () => {
    const seen: BootTaskContext[] = [];
    const ok: BootTask = { name: "ok", phases: ["generator"], run: (ctx) => Promise.resolve(void seen.push(ctx)) };
    const bad: BootTask = { name: "bad", phases: ["generator"], run: () => Promise.reject(new Error("boom")) };
    const early: BootTask = { name: "early-only", phases: ["early"], run: () => Promise.reject(new Error("must not run")) };
    const out = io();
    const code = await new GenerateCommand(() => [bad, ok, early], recordingLogger()).run(["/run/g", "/run/g.early", "/run/g.late"], out);
    expect(code).toBe(1);
    expect(seen.map((c) => c.generatorDirs)).toEqual([{ normal: "/run/g", early: "/run/g.early", late: "/run/g.late" }]);
    expect(out.err()).toContain("bad: boom");
  });

  it("generator-called-without-directories-is-a-usage-error", async () => {
    const out = io();
    expect(await new GenerateCommand(() => [], recordingLogger()).run([], out)).toBe(2);
    expect(out.err()).toContain("usage: ota-agent generate");
  });
});

describe("ota-agent persistent-init", () => {
  function setup(slotShared: boolean) {
    const d = makeFakeDevice({ slot: "system_b" });
    devices.push(d);
    const { platform, detector, generator, log } = buildGenerator(d);
    const freshVar = new FreshVar(platform, log, { policy: "keep", seed: "/nowhere", exclude: [] });
    const task = new PersistenceTask(platform, log, detector, generator, freshVar, new SharedSeeder(platform, log));
    if (slotShared) d.write("/etc/rpi-image-gen/slot-shared.d/20-ssh.conf", "Version=1\nPath=/etc/ssh\n");
    return { d, log, command: new PersistentInitCommand(task) };
  }

  // Both seeding tools give the same result: rsync (image-rota installs it) and the cp fallback (an image without it,
  // imitated by an rsync on PATH that fails `--version`).
  const rsyncMissing = spawnSync("rsync", ["--version"]).status !== 0;
  describe.each([
    { tool: "rsync", skip: rsyncMissing },
    { tool: "cp", skip: false },
  ])("slot-shared seeding with $tool", ({ tool, skip }) => {
    let fakeBin: string | undefined;
    const savedPath = process.env.PATH;
    afterEach(() => {
      process.env.PATH = savedPath;
      if (fakeBin) rmSync(fakeBin, { recursive: true, force: true });
      fakeBin = undefined;
    });

    it.skipIf(skip)(`seeds slot-shared paths: new and changed image files pushed, the device's own files kept (${tool}${skip ? ": rsync is not installed here" : ""})`, async () => {
      if (tool === "cp") {
        fakeBin = mkdtempSync(join(tmpdir(), "ota-no-rsync-"));
        writeFileSync(join(fakeBin, "rsync"), "#!/bin/sh\nexit 127\n", { mode: 0o755 });
        process.env.PATH = `${fakeBin}:${savedPath ?? ""}`;
      }
      const { d, command, log } = setup(true);
      d.write("/etc/ssh/sshd_config", "from the new image\n");
      d.write("/etc/ssh/moduli", "image moduli\n");
      d.write("/etc/ssh/sshd_config.d/10-image.conf", "nested\n");
      mkdirSync(join(d.root, "persistent/shared/etc/ssh"), { recursive: true });
      writeFileSync(join(d.root, "persistent/shared/etc/ssh/sshd_config"), "old\n");
      writeFileSync(join(d.root, "persistent/shared/etc/ssh/ssh_host_ed25519_key"), "device key\n");
      chmodSync(join(d.root, "persistent/shared/etc/ssh/ssh_host_ed25519_key"), 0o600);
      expect(await command.run(["--slot", "system_b", "--shared"], io())).toBe(0);
      const shared = (n: string): string => readFileSync(join(d.root, "persistent/shared/etc/ssh", n), "utf8");
      expect(shared("sshd_config")).toBe("from the new image\n");
      expect(shared("moduli")).toBe("image moduli\n");
      expect(shared("sshd_config.d/10-image.conf")).toBe("nested\n");
      expect(shared("ssh_host_ed25519_key")).toBe("device key\n");
      expect(statSync(join(d.root, "persistent/shared/etc/ssh/ssh_host_ed25519_key")).mode & 0o777).toBe(0o600);
      const seeded = log.lines.filter((l) => l.obj.event === "persistence.shared.seeded");
      expect(seeded.map((l) => [l.obj.path, l.obj.tool])).toEqual([["/etc/ssh", tool]]);
    });
  });

  it("without --shared only the /var swap runs", async () => {
    const { d, command } = setup(true);
    d.write("/etc/ssh/sshd_config", "x\n");
    mkdirSync(join(d.root, "persistent/slots/system_b/var"), { recursive: true });
    expect(await command.run(["--slot", "system_b"], io())).toBe(0);
    expect(existsSync(join(d.root, "persistent/shared"))).toBe(false);
  });

  it("unknown-slot-name-is-a-usage-error", async () => {
    const { command } = setup(false);
    expect(await command.run(["--slot", "system_c"], io())).toBe(2);
  });
});

describe("ota-agent boot-task", () => {
  it("runs the named task's early phase only", async () => {
    const ran: string[] = [];
    const luks: BootTask = { name: "devmapper-luks-open", phases: ["early"], run: (ctx) => Promise.resolve(void ran.push(`luks:${ctx.phase}`)) };
    const gen: BootTask = { name: "gen-only", phases: ["generator"], run: () => Promise.resolve(void ran.push("gen")) };
    const command = new BootTaskCommand(() => [luks, gen]);
    expect(await command.run(["devmapper-luks-open"], io())).toBe(0);
    expect(ran).toEqual(["luks:early"]);
    const out = io();
    expect(await command.run(["gen-only", "early"], out)).toBe(2);
    expect(await command.run(["nope"], io())).toBe(2);
    expect(await command.run(["devmapper-luks-open", "post-commit"], io())).toBe(2);
    expect(out.err()).toContain("tasks with an early phase: devmapper-luks-open");
    expect(ran).toEqual(["luks:early"]);
  });
});
