// A store record write's system calls in order: data fsynced before the rename, the directory fsynced after it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { promises as fsp } from "node:fs";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { FileStateStore } from "../../../core/store/file-state-store.js";

let root: string;
let calls: string[];

/** Records open/write/sync/close/rename as "<call> <base name>" (the sysroot's data dir shows as "dir"). */
function traceFs(dataDir: string): void {
  const name = (p: unknown) => (String(p) === dataDir ? "dir" : basename(String(p)).includes(".tmp-") ? "temp" : basename(String(p)));
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, "open").mockImplementation(async (path, flags, mode) => {
    const handle = await open(path, flags, mode);
    const file = name(path);
    calls.push(`open ${file}`);
    const { sync, writeFile, close } = handle;
    handle.sync = async () => (calls.push(`fsync ${file}`), sync.call(handle));
    handle.writeFile = async (...args: Parameters<typeof writeFile>) => (calls.push(`write ${file}`), writeFile.apply(handle, args));
    handle.close = async () => (calls.push(`close ${file}`), close.call(handle));
    return handle;
  });
  const rename = fsp.rename.bind(fsp);
  vi.spyOn(fsp, "rename").mockImplementation(async (from, to) => {
    calls.push(`rename ${name(from)} -> ${name(to)}`);
    return rename(from, to);
  });
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ota-durable-"));
  await mkdir(join(root, "data"), { recursive: true });
  calls = [];
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

describe("FileStateStore.write through NodePlatform.fs.writeFileDurable", () => {
  it("fsync-before-rename: temp written and fsynced, renamed over the target, then the directory fsynced", async () => {
    traceFs(join(root, "data"));
    const store = new FileStateStore(new NodePlatform({ sysroot: root }), "/data");
    await store.write("deployment", { schemaVersion: 1, state: "Download" });
    expect(calls).toEqual([
      "open temp",
      "write temp",
      "fsync temp",
      "close temp",
      "rename temp -> deployment.json",
      "open dir",
      "fsync dir",
      "close dir",
    ]);
  });
});
