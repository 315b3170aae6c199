// The durable record store: round trips, namespaces, corrupt records moved aside, crash leftovers cleaned.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { FileStateStore } from "../../../core/store/file-state-store.js";
import { OtaError, isOtaError } from "../../../core/errors/index.js";

interface Rec {
  schemaVersion: 1;
  value: string;
}
const parseRec = (raw: unknown): Rec => {
  const r = raw as Rec;
  if (r.schemaVersion !== 1 || typeof r.value !== "string") throw new Error("not a Rec v1");
  return r;
};

let root: string;
let platform: NodePlatform;
let store: FileStateStore;
const dataDir = "/persistent/common/ota-agent";
const host = (p: string): string => join(root, dataDir, p);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ota-store-"));
  platform = new NodePlatform({ sysroot: root });
  store = new FileStateStore(platform, dataDir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("FileStateStore", () => {
  it("writes a record under <dataDir>/<key>.json and reads it back", async () => {
    expect(await store.read("deployment", parseRec)).toBeUndefined();
    await store.write<Rec>("deployment", { schemaVersion: 1, value: "x" });
    expect(await store.read("deployment", parseRec)).toEqual({ schemaVersion: 1, value: "x" });
    expect(JSON.parse(await readFile(host("deployment.json"), "utf8"))).toEqual({ schemaVersion: 1, value: "x" });
    expect(await store.keys()).toEqual(["deployment"]);
  });

  it("namespaces nest under <dataDir>/<ns>/ and list only their own keys", async () => {
    const ns = store.namespace("plugin").namespace("slots-gpt");
    await ns.write<Rec>("cache", { schemaVersion: 1, value: "c" });
    await store.write<Rec>("top", { schemaVersion: 1, value: "t" });
    expect(await readFile(host("plugin/slots-gpt/cache.json"), "utf8")).toContain('"c"');
    expect(await ns.keys()).toEqual(["cache"]);
    expect(await store.keys()).toEqual(["top"]);
    expect(await store.namespace("plugin/slots-gpt").read("cache", parseRec)).toEqual({ schemaVersion: 1, value: "c" });
  });

  it("remove is durable and idempotent", async () => {
    await store.write<Rec>("k", { schemaVersion: 1, value: "v" });
    await store.remove("k");
    await store.remove("k");
    expect(await store.read("k", parseRec)).toBeUndefined();
  });

  it("record-with-garbage-json is moved aside, reported, never replaced", async () => {
    await mkdir(host(""), { recursive: true });
    await writeFile(host("deployment.json"), '{"schemaVersion": 1, "value": "x"'); // torn by hand
    const err = await store.read("deployment", parseRec).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_STORE_CORRUPT")).toBe(true);
    const movedTo = (err as OtaError).details.movedTo as string;
    expect(movedTo).toMatch(/^\/persistent\/common\/ota-agent\/deployment\.corrupt-.*\.json$/);
    expect(await readFile(join(root, movedTo), "utf8")).toBe('{"schemaVersion": 1, "value": "x"');
    expect(await store.read("deployment", parseRec)).toBeUndefined();
    expect(await store.keys()).toEqual([]);
  });

  it("record-rejected-by-parser and record-without-schemaVersion are moved aside", async () => {
    await store.write("a", { schemaVersion: 2, other: true });
    await expect(store.read("a", parseRec)).rejects.toMatchObject({ code: "OTA_ERR_STORE_CORRUPT" });
    await mkdir(host(""), { recursive: true });
    await writeFile(host("b.json"), '{"value":"no version"}');
    await expect(store.read("b", parseRec)).rejects.toMatchObject({ code: "OTA_ERR_STORE_CORRUPT" });
    const names = await readdir(host(""));
    expect(names.filter((n) => n.includes(".corrupt-"))).toHaveLength(2);
  });

  it("a parser's OTA_ERR_STORE_SCHEMA passes through and the record stays in place", async () => {
    await store.write("c", { schemaVersion: 9 });
    const newer = (): never => {
      throw new OtaError("OTA_ERR_STORE_SCHEMA", "schema 9 is newer than this agent");
    };
    await expect(store.read("c", newer)).rejects.toMatchObject({ code: "OTA_ERR_STORE_SCHEMA" });
    expect(await store.keys()).toEqual(["c"]);
  });

  it("stale temp files of a crashed write are removed on read; fresh ones are kept", async () => {
    await store.write<Rec>("deployment", { schemaVersion: 1, value: "old" });
    const stale = host(".deployment.json.tmp-999-1");
    const fresh = host(".deployment.json.tmp-999-2");
    await writeFile(stale, '{"schemaVersion":1,"val');
    await writeFile(fresh, '{"schemaVersion":1,"val');
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(stale, old, old);
    expect(await store.read("deployment", parseRec)).toEqual({ schemaVersion: 1, value: "old" });
    const names = await readdir(host(""));
    expect(names).not.toContain(".deployment.json.tmp-999-1");
    expect(names).toContain(".deployment.json.tmp-999-2");
    expect(await store.keys()).toEqual(["deployment"]);
  });

  it("write-to-read-only-data-dir is OTA_ERR_STORE_WRITE with the system code", async () => {
    await mkdir(join(root, "persistent/common"), { recursive: true });
    await writeFile(join(root, dataDir), "a file where the data dir should be");
    const err = await store.write<Rec>("k", { schemaVersion: 1, value: "v" }).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_STORE_WRITE")).toBe(true);
    expect((err as OtaError).details.sysCode).toBeDefined();
  });

  it("rejects keys that could escape the data dir", async () => {
    await expect(store.write("../etc/passwd", { schemaVersion: 1 })).rejects.toMatchObject({ code: "OTA_ERR_INTERNAL" });
    expect(() => store.namespace("..")).toThrow();
  });
});

describe("FileStateStore temp names", () => {
  it("same-pid-after-reboot does not collide with a temp file left by a power cut", async () => {
    const root2 = await mkdtemp(join(tmpdir(), "ota-store-pid-"));
    try {
      const p = new NodePlatform({ sysroot: root2 });
      const s = new FileStateStore(p, "/d");
      await s.write<Rec>("k", { schemaVersion: 1, value: "first" });
      // What a crash of an earlier boot with this very pid would have left, for the next few counter values.
      for (let n = 1; n <= 300; n++) await writeFile(join(root2, `d/.k.json.tmp-${process.pid}-${n}`), "torn");
      await s.write<Rec>("k", { schemaVersion: 1, value: "second" });
      expect(await s.read("k", parseRec)).toEqual({ schemaVersion: 1, value: "second" });
    } finally {
      await rm(root2, { recursive: true, force: true });
    }
  });
});
