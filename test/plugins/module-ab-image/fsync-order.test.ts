// module-ab-image makes each written partition durable: an fsync after its last write, before the handle closes.
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AbImageModule } from "../../../plugins/module-ab-image/ab-image-module.js";
import type { FileHandle, Platform } from "../../../core/capabilities/platform.js";
import type { PayloadFile } from "../../../core/capabilities/update-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import { makeSlotRoot, memoryLogger, moduleContext, pseudoRandom, type SlotRoot } from "../../core/install/install-fixtures.js";

const log = memoryLogger();
let sr: SlotRoot;
beforeEach(async () => {
  sr = await makeSlotRoot({ boot: 256 * 1024, system: 1024 * 1024 });
});
afterEach(async () => {
  await sr.cleanup();
});

/** Records, per opened target, the order of write / sync / close; `failSync` makes fsync fail with EIO. */
function recordingPlatform(ops: Map<string, string[]>, failSync = false): Platform {
  const base = sr.platform;
  const fs = Object.create(base.fs) as Platform["fs"];
  fs.open = async (path, flags, mode) => {
    const fh = await base.fs.open(path, flags, mode);
    const list = ops.get(path) ?? [];
    ops.set(path, list);
    const rec = (op: string): void => {
      if (list.at(-1) !== op) list.push(op);
    };
    const wrapped: FileHandle = {
      read: (b, o, l, p) => fh.read(b, o, l, p),
      write: (b, o, l, p) => {
        rec("write");
        return fh.write(b, o, l, p);
      },
      sync: () => {
        rec("sync");
        return failSync ? Promise.reject(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" })) : fh.sync();
      },
      stat: () => fh.stat(),
      size: () => fh.size(),
      close: () => {
        rec("close");
        return fh.close();
      },
    };
    return wrapped;
  };
  const platform = Object.create(base) as Platform;
  Object.defineProperty(platform, "fs", { value: fs });
  return platform;
}

function payload(...list: [string, Buffer][]): AsyncGenerator<PayloadFile> {
  async function* gen(): AsyncGenerator<PayloadFile> {
    for (const [name, data] of list) yield { name, size: data.length, stream: Readable.from([data], { objectMode: false }) };
  }
  return gen();
}

function module(platform: Platform): AbImageModule {
  const settings = { frameBytes: 64 * 1024, readCompareWrite: false, readBackVerify: false };
  return new AbImageModule("rpi-ab-slot", platform, () => sr.slots, () => undefined, () => settings);
}

describe("module-ab-image durability", () => {
  it("each partition is written, then fsynced, then closed", async () => {
    const ops = new Map<string, string[]>();
    await module(recordingPlatform(ops)).download(
      moduleContext("/data/work/payloads/0000", log),
      payload(["boot", pseudoRandom(200_000, 1)], ["system", pseudoRandom(900_000, 2)]),
    );
    const targets = [...ops.entries()].filter(([, list]) => list.includes("write"));
    expect(targets.map(([p]) => p).sort()).toEqual(["/dev/boot_b", "/dev/system_b"]);
    for (const [, list] of targets) expect(list).toEqual(["write", "sync", "close"]);
  });

  it("fsync-fails (EIO): OTA_ERR_INSTALL_WRITE naming the target, not success", async () => {
    const err = await module(recordingPlatform(new Map(), true))
      .download(moduleContext("/data/work/payloads/0000", log), payload(["boot", pseudoRandom(10_000, 1)], ["system", pseudoRandom(10_000, 2)]))
      .catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INSTALL_WRITE")).toBe(true);
    expect((err as Error).message).toContain("/dev/disk/by-slot/other/boot");
  });
});
