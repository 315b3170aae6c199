// Behaviour of the A/B slot module: what lands on which partition, what is refused, and how the bootloader is driven.
import { Readable } from "node:stream";
import { readFile, writeFile, symlink, rm, stat } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AbImageModule, type AbImageSettings } from "../../../plugins/module-ab-image/ab-image-module.js";
import type { PayloadFile } from "../../../core/capabilities/update-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import { encodeSparseBuffer } from "../../../artifacts/index.js";
import {
  FakeBootloader,
  makeSlotRoot,
  memoryLogger,
  moduleContext,
  pseudoRandom,
  type SlotRoot,
} from "../../core/install/install-fixtures.js";

const settings: AbImageSettings = { frameBytes: 64 * 1024, readCompareWrite: true, readBackVerify: true };

/** How payload files are offered: as a stream only, or also with `read` (the module then pulls into its frames). */
let mode: "stream" | "pull" = "stream";

function file(name: string, data: Buffer, chunk = 10_000): PayloadFile {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }
  if (mode === "stream") return { name, size: data.length, stream: Readable.from(chunks(), { objectMode: false }) };
  let pos = 0;
  let stream: Readable | undefined;
  return {
    name,
    size: data.length,
    get stream() {
      return (stream ??= Readable.from(chunks(), { objectMode: false }));
    },
    // short reads of at most `chunk` bytes, as a pulled artifact member may give
    read(buffer, offset, length) {
      const n = Math.min(length, chunk, data.length - pos);
      data.copy(buffer, offset, pos, pos + n);
      pos += n;
      return Promise.resolve(n);
    },
  };
}

async function* files(...list: PayloadFile[]): AsyncGenerator<PayloadFile> {
  for (const f of list) yield f;
}

let sr: SlotRoot;
let boot: FakeBootloader;
let withBootloader = true;
const log = memoryLogger();

function module(type: "rpi-ab-slot" | "rootfs-image" = "rpi-ab-slot", s: AbImageSettings = settings): AbImageModule {
  return new AbImageModule(type, sr.platform, () => sr.slots, () => (withBootloader ? boot : undefined), () => s);
}

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
  boot = new FakeBootloader();
  withBootloader = true;
  log.lines.length = 0;
});
afterEach(async () => {
  await sr.cleanup();
});

const ctx = (): ReturnType<typeof moduleContext> => moduleContext("/data/work/payloads/0000", log);

for (const m of ["stream", "pull"] as const) {
  describe(`payload files offered as ${m}`, () => {
    beforeEach(() => {
      mode = m;
    });

    describe("module-ab-image download", () => {
      it("writes boot and system raw images into the other slot only", async () => {
        const bootImg = pseudoRandom(200_000, 1);
        const systemImg = pseudoRandom(900_001, 2);
        const activeBefore = await readFile(sr.host("/dev/system_a"));
        await module().download(ctx(), files(file("boot", bootImg), file("system", systemImg)));
        expect((await readFile(sr.host("/dev/boot_b"))).subarray(0, bootImg.length).equals(bootImg)).toBe(true);
        expect((await readFile(sr.host("/dev/system_b"))).subarray(0, systemImg.length).equals(systemImg)).toBe(true);
        expect((await readFile(sr.host("/dev/system_a"))).equals(activeBefore)).toBe(true);
        expect(boot.calls).toEqual([]);
      });

      it("expands Android sparse images: FILL written, DONT_CARE left as it was", async () => {
        const image = Buffer.alloc(512 * 1024);
        pseudoRandom(200 * 1024, 3).copy(image, 0);
        image.fill(0xab, 200 * 1024, 300 * 1024); // FILL
        // zero blocks at 300K..512K become DONT_CARE: the target's old bytes there must survive
        const sparse = await encodeSparseBuffer(image, { blockSize: 4096 });
        const old = Buffer.alloc(1024 * 1024, 0x5a);
        await writeFile(sr.host("/dev/system_b"), old);
        const bootImg = pseudoRandom(4096, 9);
        await module().download(ctx(), files(file("boot", bootImg), file("system", sparse)));
        const written = await readFile(sr.host("/dev/system_b"));
        expect(written.subarray(0, 300 * 1024).equals(image.subarray(0, 300 * 1024))).toBe(true);
        expect(written.subarray(300 * 1024, 512 * 1024).every((b) => b === 0x5a)).toBe(true);
      });

      it("partition-too-small: refused before the first write", async () => {
        const before = await readFile(sr.host("/dev/boot_b"));
        const err = await module()
          .download(ctx(), files(file("boot", pseudoRandom(300 * 1024)), file("system", pseudoRandom(10))))
          .catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_TOO_LARGE")).toBe(true);
        expect((await readFile(sr.host("/dev/boot_b"))).equals(before)).toBe(true);
      });

      it("sparse-image-larger-than-partition: refused from the sparse header before writing", async () => {
        const sparse = await encodeSparseBuffer(Buffer.alloc(2 * 1024 * 1024, 1), { blockSize: 4096 });
        const before = await readFile(sr.host("/dev/system_b"));
        const err = await module()
          .download(ctx(), files(file("boot", pseudoRandom(10)), file("system", sparse)))
          .catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_TOO_LARGE")).toBe(true);
        expect((await readFile(sr.host("/dev/system_b"))).equals(before)).toBe(true);
      });

      it("other-slot-link-points-at-active: refused by identity, active untouched", async () => {
        // a misconfigured alias: other/system resolves (via another link) to the running system partition
        await rm(sr.host("/dev/disk/by-slot/other/system"));
        await symlink("/dev/alias-of-active", sr.host("/dev/disk/by-slot/other/system"));
        await symlink("/dev/system_a", sr.host("/dev/alias-of-active"));
        const before = await readFile(sr.host("/dev/system_a"));
        const err = await module("rootfs-image")
          .download(ctx(), files(file("rootfs.ext4", pseudoRandom(1000))))
          .catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_ACTIVE_SLOT")).toBe(true);
        expect((await readFile(sr.host("/dev/system_a"))).equals(before)).toBe(true);
      });

      it("unknown-payload-file: a file that is neither boot nor system is refused", async () => {
        const err = await module()
          .download(ctx(), files(file("kernel", pseudoRandom(10))))
          .catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_PAYLOAD_INVALID")).toBe(true);
      });

      it("payload-without-system: refused", async () => {
        const err = await module()
          .download(ctx(), files(file("boot", pseudoRandom(10))))
          .catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_PAYLOAD_INVALID")).toBe(true);
      });

      it("truncated-payload-stream: fewer bytes than declared is an error", async () => {
        const data = pseudoRandom(5000);
        const short: PayloadFile = { name: "rootfs.ext4", size: 6000, stream: Readable.from([data]) };
        const err = await module("rootfs-image").download(ctx(), files(short)).catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_PAYLOAD_INVALID")).toBe(true);
      });

      it("unchanged frames are not rewritten on a second install of the same image", async () => {
        const img = pseudoRandom(1024 * 1024, 5);
        await module("rootfs-image").download(ctx(), files(file("rootfs.ext4", img)));
        const mtime = (await stat(sr.host("/dev/system_b"))).mtimeMs;
        log.lines.length = 0;
        await new Promise((r) => setTimeout(r, 20));
        await module("rootfs-image").download(ctx(), files(file("rootfs.ext4", img)));
        const line = log.lines.find((l) => l.event === "install.image.written");
        expect(line).toMatchObject({ framesWritten: 0, framesUnchanged: 16 });
        expect((await stat(sr.host("/dev/system_b"))).mtimeMs).toBe(mtime);
      });

      it("with read-compare-write off every frame is written", async () => {
        const img = pseudoRandom(256 * 1024, 5);
        const m = module("rootfs-image", { ...settings, readCompareWrite: false });
        await m.download(ctx(), files(file("rootfs.ext4", img)));
        await m.download(ctx(), files(file("rootfs.ext4", img)));
        const lines = log.lines.filter((l) => l.event === "install.image.written");
        expect(lines[1]).toMatchObject({ framesWritten: 4, framesUnchanged: 0 });
      });

      it("disarms a stale trial of the slot it is about to overwrite", async () => {
        boot.boot.armed = "b";
        await module("rootfs-image").download(ctx(), files(file("rootfs.ext4", pseudoRandom(100))));
        expect(boot.calls).toEqual(["disarm()"]);
      });
    });

    describe("module-ab-image states", () => {
      async function downloaded(): Promise<AbImageModule> {
        const m = module();
        await m.download(ctx(), files(file("boot", pseudoRandom(100)), file("system", pseudoRandom(100))));
        return m;
      }

      it("ArtifactInstall arms the other slot; reboot is a trial reboot", async () => {
        const m = await downloaded();
        await m.artifactInstall(ctx());
        expect(await m.needsArtifactReboot(ctx())).toBe("Yes");
        await m.artifactReboot(ctx());
        expect(boot.calls).toEqual(["armTrial(b)", "reboot(true)"]);
      });

      it("without a bootloader ArtifactInstall reports written but not armed", async () => {
        withBootloader = false;
        const m = await downloaded();
        await m.artifactInstall(ctx());
        expect(log.lines.some((l) => l.event === "install.not-armed")).toBe(true);
        const state = JSON.parse(await readFile(sr.host("/data/work/payloads/0000/ab-image.json"), "utf8")) as { armed: boolean };
        expect(state.armed).toBe(false);
      });

      it("ArtifactVerifyReboot passes only for a trial boot of the target slot", async () => {
        const m = await downloaded();
        await m.artifactInstall(ctx());
        boot.boot = { booted: "a", committed: "a", trial: false, armed: null }; // firmware fell back
        const err = await m.artifactVerifyReboot(ctx()).catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_VERIFY_REBOOT")).toBe(true);
        boot.boot = { booted: "b", committed: "a", trial: false, armed: null }; // b booted, but not as a trial
        expect(isOtaError(await m.artifactVerifyReboot(ctx()).catch((e: unknown) => e), "OTA_ERR_INSTALL_VERIFY_REBOOT")).toBe(true);
        boot.boot = { booted: "b", committed: "a", trial: true, armed: null };
        await m.artifactVerifyReboot(ctx());
        await m.artifactCommit(ctx());
        expect(boot.calls.at(-1)).toBe("commit(b)");
      });

      it("rollback disarms, reboots normally and verifies the previously committed slot", async () => {
        const m = await downloaded();
        await m.artifactInstall(ctx());
        expect(await m.supportsRollback(ctx())).toBe(true);
        await m.artifactRollback(ctx());
        await m.artifactRollbackReboot(ctx());
        boot.boot = { booted: "b", committed: "a", trial: true, armed: null };
        expect(isOtaError(await m.artifactVerifyRollbackReboot(ctx()).catch((e: unknown) => e), "OTA_ERR_INSTALL_VERIFY_REBOOT")).toBe(true);
        boot.boot = { booted: "a", committed: "a", trial: false, armed: null };
        await m.artifactVerifyRollbackReboot(ctx());
        await m.artifactFailure(ctx());
        expect(boot.calls).toEqual(["armTrial(b)", "disarm()", "reboot(false)", "disarm()"]);
      });

      it("states after a reboot without the saved state fail with OTA_ERR_INSTALL_STATE", async () => {
        const err = await module().artifactInstall(ctx()).catch((e: unknown) => e);
        expect(isOtaError(err, "OTA_ERR_INSTALL_STATE")).toBe(true);
      });
    });
  });
}
