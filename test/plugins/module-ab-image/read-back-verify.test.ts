// Read-back verification of module-ab-image against a device that acknowledges writes it does not store faithfully.
import { Readable } from "node:stream";
import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AbImageModule, type AbImageSettings } from "../../../plugins/module-ab-image/ab-image-module.js";
import type { FileHandle, Platform } from "../../../core/capabilities/platform.js";
import type { PayloadFile } from "../../../core/capabilities/update-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import { makeSlotRoot, memoryLogger, moduleContext, pseudoRandom, type SlotRoot } from "../../core/install/install-fixtures.js";

const settings: AbImageSettings = { frameBytes: 64 * 1024, readCompareWrite: true, readBackVerify: true };
const log = memoryLogger();
let sr: SlotRoot;

beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
});
afterEach(async () => {
  await sr.cleanup();
});

/**
 * The slot root's platform, except that writes to /dev/system_b flip one bit of the byte at `corruptAt` while still
 * reporting the full count: a failing flash cell or a lying cache, which only reading back can reveal.
 */
function lyingPlatform(corruptAt: number): Platform {
  const base = sr.platform;
  const host = sr.host("/dev/system_b");
  const fs = Object.create(base.fs) as Platform["fs"];
  fs.open = async (path, flags, mode) => {
    const fh = await base.fs.open(path, flags, mode);
    if (base.path(path) !== host) return fh;
    const lying: FileHandle = {
      read: (b, o, l, p) => fh.read(b, o, l, p),
      write: async (b, o, l, p) => {
        const copy = Buffer.from(b.subarray(o, o + l));
        if (corruptAt >= p && corruptAt < p + l) copy[corruptAt - p] = (copy[corruptAt - p] ?? 0) ^ 0x01;
        await fh.write(copy, 0, l, p);
        return l;
      },
      sync: () => fh.sync(),
      stat: () => fh.stat(),
      size: () => fh.size(),
      close: () => fh.close(),
    };
    return lying;
  };
  const platform = Object.create(base) as Platform;
  Object.defineProperty(platform, "fs", { value: fs });
  return platform;
}

function rootfs(data: Buffer): AsyncGenerator<PayloadFile> {
  async function* one(): AsyncGenerator<PayloadFile> {
    yield { name: "rootfs.ext4", size: data.length, stream: Readable.from([data], { objectMode: false }) };
  }
  return one();
}

function module(platform: Platform, s: AbImageSettings): AbImageModule {
  return new AbImageModule("rootfs-image", platform, () => sr.slots, () => undefined, () => s);
}

describe("module-ab-image read-back verification", () => {
  it("device-stores-a-flipped-bit: read-back fails with OTA_ERR_INSTALL_VERIFY naming the target", async () => {
    const img = pseudoRandom(700_000, 11);
    const err = await module(lyingPlatform(300_001), settings)
      .download(moduleContext("/data/work/payloads/0000", log), rootfs(img))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_VERIFY")).toBe(true);
    expect((err as Error).message).toContain("/dev/disk/by-slot/other/system");
  });

  it("with read-back off the same device goes unnoticed (the check is what catches it)", async () => {
    const img = pseudoRandom(700_000, 11);
    await module(lyingPlatform(300_001), { ...settings, readBackVerify: false }).download(
      moduleContext("/data/work/payloads/0000", log),
      rootfs(img),
    );
    const stored = await readFile(sr.host("/dev/system_b"));
    expect(stored[300_001]).toBe((img[300_001] ?? 0) ^ 0x01);
  });

  it("an honest device passes read-back", async () => {
    const img = pseudoRandom(700_000, 12);
    await module(sr.platform, settings).download(moduleContext("/data/work/payloads/0000", log), rootfs(img));
    expect((await readFile(sr.host("/dev/system_b"))).subarray(0, img.length).equals(img)).toBe(true);
  });
});
