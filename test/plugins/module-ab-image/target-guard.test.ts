// guardTarget refuses the running slot and the boot disk by identity: a hard link (another name, same inode) is caught, a copy is not.
import { copyFile, link, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { guardTarget } from "../../../plugins/module-ab-image/target-guard.js";
import { isOtaError } from "../../../core/errors/index.js";
import { makeSlotRoot, type SlotRoot } from "../../core/install/install-fixtures.js";

let sr: SlotRoot;
beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 64 * 1024, system: 128 * 1024 });
});
afterEach(async () => {
  await sr.cleanup();
});

describe("guardTarget", () => {
  it("other-slot-is-a-hard-link-of-active: a name no link resolves to the active one is still refused (same inode)", async () => {
    await link(sr.host("/dev/system_a"), sr.host("/dev/renamed-node"));
    const err = await guardTarget(sr.platform, sr.layout, "/dev/renamed-node").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ACTIVE_SLOT")).toBe(true);
    expect((err as Error).message).toContain("/dev/renamed-node");
    expect((err as Error).message).toContain("running slot a");
  });

  it("the active boot partition is refused too", async () => {
    await link(sr.host("/dev/boot_a"), sr.host("/dev/renamed-boot"));
    const err = await guardTarget(sr.platform, sr.layout, "/dev/renamed-boot").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ACTIVE_SLOT")).toBe(true);
  });

  it("other-slot-link-points-at-the-whole-boot-disk: refused, the disk (and its partition table) untouched", async () => {
    await writeFile(sr.host("/dev/disk0"), Buffer.alloc(4096, 0x42));
    await rm(sr.host("/dev/disk/by-slot/other/system"));
    await symlink("/dev/disk0", sr.host("/dev/disk/by-slot/other/system"));
    const err = await guardTarget(sr.platform, sr.layout, "/dev/disk/by-slot/other/system").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_ACTIVE_SLOT")).toBe(true);
    expect((err as Error).message).toContain("whole boot disk /dev/disk0");
  });

  it("a distinct node with the same content is accepted (identity, not content or name)", async () => {
    await copyFile(sr.host("/dev/system_a"), sr.host("/dev/copy"));
    expect(await readFile(sr.host("/dev/copy"))).toEqual(await readFile(sr.host("/dev/system_a")));
    const t = await guardTarget(sr.platform, sr.layout, "/dev/copy");
    expect(t.realPath).toBe("/dev/copy");
  });

  it("missing-target: OTA_ERR_INSTALL_TARGET naming the path", async () => {
    await rm(sr.host("/dev/system_b"));
    const err = await guardTarget(sr.platform, sr.layout, "/dev/disk/by-slot/other/system").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_TARGET")).toBe(true);
    expect((err as Error).message).toContain("/dev/disk/by-slot/other/system");
  });
});
