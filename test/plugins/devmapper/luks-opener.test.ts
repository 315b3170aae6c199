// The LUKS opener's orchestration with fake cryptsetup/kpartx on PATH: the key goes through stdin only, never argv or logs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodePlatform } from "../../../core/platform/index.js";
import { SysfsBlockLineage } from "../../../plugins/devmapper/sysfs-block-lineage.js";
import { LuksOpener, type LuksContainerConfig } from "../../../plugins/devmapper/luks-opener.js";
import { buildSlotSysroot, type SlotSysroot } from "../../helpers/slot-sysroot.js";
import { CaptureLogger } from "../slots-gpt/capture-logger.js";
import { cryptSpec } from "./crypt-fixture.js";
import { rejectionCode } from "../../helpers/rejection-code.js";

const SECRET = "k3y-Material-that-must-never-leak-0123456789";
let bin: string;
const savedPath = process.env.PATH;

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), "ota-fakebin-"));
  // Fake cryptsetup: records argv and how many key bytes arrived on stdin; exit code from FAKE_CRYPTSETUP_RC.
  await writeFile(
    join(bin, "cryptsetup"),
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/cryptsetup.argv"\nwc -c | tr -d ' ' > "${bin}/cryptsetup.stdin-bytes"\nexit "\${FAKE_CRYPTSETUP_RC:-0}"\n`,
  );
  await writeFile(join(bin, "kpartx"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/kpartx.argv"\n`);
  // Also records the crypttab variables a device-bound keyscript (rpi-image-gen's hwkey) reads.
  await writeFile(
    join(bin, "keyscript"),
    `#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' "$1" "$CRYPTTAB_NAME" "$CRYPTTAB_SOURCE" "$CRYPTTAB_KEY" "$CRYPTTAB_TRIED" > "${bin}/keyscript.env"\n` +
      `echo "keyscript $1 leaking to stderr ${SECRET}" >&2\nprintf '%s' '${SECRET}'\n`,
  );
  await writeFile(join(bin, "bad-keyscript"), `#!/bin/sh\nexit 3\n`);
  for (const f of ["cryptsetup", "kpartx", "keyscript", "bad-keyscript"]) await chmod(join(bin, f), 0o755);
  process.env.PATH = `${bin}:${savedPath ?? ""}`;
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(bin, { recursive: true, force: true });
});

const made: SlotSysroot[] = [];
afterEach(async () => {
  delete process.env.FAKE_CRYPTSETUP_RC;
  await Promise.all(made.splice(0).map((s) => s.cleanup()));
  await rm(join(bin, "cryptsetup.argv"), { force: true });
  await rm(join(bin, "kpartx.argv"), { force: true });
  await rm(join(bin, "keyscript.env"), { force: true });
});

async function setup(opened: boolean, container: Partial<LuksContainerConfig> = {}) {
  const sr = await buildSlotSysroot(cryptSpec(2, { opened }));
  made.push(sr);
  const platform = new NodePlatform({ sysroot: sr.root });
  const log = new CaptureLogger();
  const opener = new LuksOpener(platform, new SysfsBlockLineage(platform), async () => "/dev/mmcblk0", log, {
    containers: [
      {
        label: "OSDATA_CRYPT",
        name: "osdata_crypt",
        keyscript: join(bin, "keyscript"),
        keyscriptArg: "device-id",
        partitioned: true,
        ...container,
      },
    ],
    timeoutMs: 10_000,
  });
  return { sr, log, opener };
}

const ctx = { phase: "early" as const, signal: new AbortController().signal };

describe("devmapper LUKS opener", () => {
  it("pipes the keyscript's key to cryptsetup --key-file=- and maps the partitions", async () => {
    const { sr, log, opener } = await setup(false);
    await opener.run(ctx);
    const argv = (await readFile(join(bin, "cryptsetup.argv"), "utf8")).trim().split("\n");
    expect(argv).toEqual(["open", "--type", "luks2", "--key-file=-", sr.host("/dev/mmcblk0p4"), "osdata_crypt"]);
    expect(Number(await readFile(join(bin, "cryptsetup.stdin-bytes"), "utf8"))).toBe(SECRET.length);
    expect((await readFile(join(bin, "kpartx.argv"), "utf8")).trim().split("\n")).toEqual([
      "-av",
      "-p",
      "p",
      "/dev/mapper/osdata_crypt",
    ]);
    expect(argv.join(" ")).not.toContain(SECRET);
    expect((await readFile(join(bin, "keyscript.env"), "utf8")).trim()).toBe(
      ["device-id", "osdata_crypt", sr.host("/dev/mmcblk0p4"), "device-id", "0"].join("|"),
    );
    expect(log.events()).toContain("devmapper.luks.open");
    expect(log.text()).not.toContain(SECRET);
  });

  it("container-already-open-by-initramfs is left alone", async () => {
    const { log, opener } = await setup(true);
    await opener.run(ctx);
    await expect(readFile(join(bin, "cryptsetup.argv"))).rejects.toThrow();
    expect(log.events()).toContain("devmapper.luks.already-open");
  });

  it("keyscript-fails is OTA_ERR_SLOT_KEYSCRIPT_FAILED", async () => {
    const { opener } = await setup(false, { keyscript: join(bin, "bad-keyscript") });
    process.env.FAKE_CRYPTSETUP_RC = "2";
    expect(await rejectionCode(opener.run(ctx))).toBe("OTA_ERR_SLOT_KEYSCRIPT_FAILED");
  });

  it("wrong-key (cryptsetup exits 2) is OTA_ERR_SLOT_LUKS_OPEN_FAILED and the error carries no key", async () => {
    const { opener } = await setup(false);
    process.env.FAKE_CRYPTSETUP_RC = "2";
    let err: unknown;
    try {
      await opener.run(ctx);
    } catch (e) {
      err = e;
    }
    expect((err as { code: string }).code).toBe("OTA_ERR_SLOT_LUKS_OPEN_FAILED");
    expect(JSON.stringify(err)).not.toContain(SECRET);
    await expect(readFile(join(bin, "kpartx.argv"))).rejects.toThrow();
  });

  it("configured-label-not-on-boot-disk is OTA_ERR_SLOT_LUKS_NOT_FOUND", async () => {
    const { opener } = await setup(false, { label: "USERDATA_CRYPT" });
    expect(await rejectionCode(opener.run(ctx))).toBe("OTA_ERR_SLOT_LUKS_NOT_FOUND");
  });
});
