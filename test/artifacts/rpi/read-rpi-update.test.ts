// rpi-image-gen update.tar.zst: bare boot+system and otamaker's _contents_.yaml form, and import into rpi-ab-slot.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { readRpiUpdate } from "../../../artifacts/rpi/read-rpi-update.js";
import { parseContentsYaml } from "../../../artifacts/rpi/contents-yaml.js";
import { encodeSparseBuffer } from "../../../artifacts/sparse/sparse-encoder.js";
import { main } from "../../../artifacts/cli/main.js";
import { readAll, sha, tar, type Member } from "../artifact-kit.js";

const dir = mkdtempSync(join(tmpdir(), "ota-rpi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function zstd(buf: Buffer): Buffer {
  return execFileSync("zstd", ["-q", "-c"], { input: buf });
}

async function images() {
  const boot = Buffer.alloc(64 * 1024, 0x11);
  const system = Buffer.alloc(256 * 1024);
  system.write("root filesystem", 4096 * 10);
  return { boot: await encodeSparseBuffer(boot), system: await encodeSparseBuffer(system) };
}

async function collect(update: Awaited<ReturnType<typeof readRpiUpdate>>) {
  const out: Array<{ name: string; type: string; sha: string }> = [];
  for await (const f of update.files()) {
    const parts: Buffer[] = [];
    for await (const c of f.stream) parts.push(c as Buffer);
    out.push({ name: f.name, type: f.payloadType, sha: sha(Buffer.concat(parts)) });
  }
  return out;
}

const CONTENTS = `# otamaker manifest
artefact:
  name: my-image
  version: "1.2"
  description: 'A test: image'
  device_type: pi5
payloads:
  - name: boot
    type: image-sparse
  - name: system
    type: image-sparse
`;

describe("readRpiUpdate", () => {
  it("reads the bare form (boot then system, every member a sparse image)", async () => {
    const { boot, system } = await images();
    const u = await readRpiUpdate(Readable.from([zstd(tar([{ name: "boot", body: boot }, { name: "system", body: system }]))]));
    expect(u.contents).toBeUndefined();
    expect(await collect(u)).toEqual([
      { name: "boot", type: "image-sparse", sha: sha(boot) },
      { name: "system", type: "image-sparse", sha: sha(system) },
    ]);
  });

  it("reads the _contents_.yaml form with the builtin zstd decoder", async () => {
    const { boot, system } = await images();
    const members: Member[] = [{ name: "_contents_.yaml", body: Buffer.from(CONTENTS) }, { name: "boot", body: boot }, { name: "system", body: system }];
    const u = await readRpiUpdate(Readable.from([zstd(tar(members))]), { decompressors: "builtin" });
    expect(u.contents?.artefact).toEqual({ name: "my-image", version: "1.2", description: "A test: image", device_type: "pi5" });
    expect((await collect(u)).map((f) => f.name)).toEqual(["boot", "system"]);
  });

  it("exposes name and device type from _contents_.yaml; done() drains what was not consumed", async () => {
    const { boot, system } = await images();
    const members: Member[] = [{ name: "_contents_.yaml", body: Buffer.from(CONTENTS) }, { name: "boot", body: boot }, { name: "system", body: system }];
    const u = await readRpiUpdate(Readable.from([zstd(tar(members))]));
    expect([u.name, u.deviceType]).toEqual(["my-image", "pi5"]);
    for await (const f of u.files()) {
      expect(f.name).toBe("boot");
      break;
    }
    expect((await u.done()).files.map((f) => f.name)).toEqual(["boot", "system"]);
  });

  it("rpi-update-unlisted-member is refused", async () => {
    const members: Member[] = [{ name: "_contents_.yaml", body: Buffer.from(CONTENTS) }, { name: "boot", body: Buffer.from("x") }, { name: "evil", body: Buffer.from("x") }];
    const u = await readRpiUpdate(Readable.from([zstd(tar(members))]));
    await expect(collect(u)).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID", details: { member: "evil" } });
  });

  it("rpi-update-listed-payload-missing is refused", async () => {
    const members: Member[] = [{ name: "_contents_.yaml", body: Buffer.from(CONTENTS) }, { name: "boot", body: Buffer.from("x") }];
    const u = await readRpiUpdate(Readable.from([zstd(tar(members))]));
    await expect(collect(u)).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID", details: { member: "system" } });
  });

  it("rpi-update-dotdot-member is refused", async () => {
    const u = await readRpiUpdate(Readable.from([zstd(tar([{ name: "../boot", body: Buffer.from("x") }]))]));
    await expect(collect(u)).rejects.toMatchObject({ code: "OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE" });
  });

  it("rpi-update-truncated is refused", async () => {
    const { boot, system } = await images();
    const whole = zstd(tar([{ name: "boot", body: boot }, { name: "system", body: system }]));
    const u = await readRpiUpdate(Readable.from([whole.subarray(0, whole.length - 20)])).catch((e: unknown) => e);
    const err = u instanceof Error ? u : await collect(u as Awaited<ReturnType<typeof readRpiUpdate>>).then(() => null, (e: unknown) => e);
    expect((err as { code: string }).code).toMatch(/OTA_ERR_ARTIFACT_(DECOMPRESSION_FAILED|TRUNCATED)/);
  });

  it("contents-yaml-payload-without-type is refused", () => {
    expect(() => parseContentsYaml("payloads:\n  - name: boot\n")).toThrow(expect.objectContaining({ code: "OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID" }) as Error);
  });
});

describe("ota-artifact import-rpi", () => {
  it("converts update.tar.zst into a signed rpi-ab-slot artifact carrying the sparse images unchanged", async () => {
    const { boot, system } = await images();
    writeFileSync(join(dir, "update.tar.zst"), zstd(tar([{ name: "boot", body: boot }, { name: "system", body: system }])));
    const { generateKeyPairSync } = await import("node:crypto");
    const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(join(dir, "k.pem"), k.privateKey.export({ type: "pkcs8", format: "pem" }));
    const code = await main(["import-rpi", join(dir, "update.tar.zst"), "-n", "rpi-7", "-t", "pi5", "-k", join(dir, "k.pem"), "-o", join(dir, "out.mender")]);
    expect(code).toBe(0);
    const r = await readAll(readFileSync(join(dir, "out.mender")), { verifyKeys: [k.publicKey], deviceType: "pi5" });
    expect(r.header.payloads[0]!.type).toBe("rpi-ab-slot");
    expect(r.header.payloads[0]!.provides).toEqual({ "rpi-ab-slot.version": "rpi-7", "rpi-ab-slot.boot.sha256": sha(boot), "rpi-ab-slot.system.sha256": sha(system) });
    expect(r.header.payloads[0]!.clearsProvides).toEqual(["rpi-ab-slot.*", "rootfs-image.*"]);
    expect(r.files.map((f) => [f.name, sha(f.data)])).toEqual([["boot", sha(boot)], ["system", sha(system)]]);
  });

  it("import-rpi of an update with a script payload fails and leaves no output", async () => {
    const contents = "payloads:\n  - name: boot\n    type: image-sparse\n  - name: run.sh\n    type: script\n";
    writeFileSync(join(dir, "u2.tar.zst"), zstd(tar([{ name: "_contents_.yaml", body: Buffer.from(contents) }, { name: "boot", body: Buffer.from("x") }, { name: "run.sh", body: Buffer.from("x") }])));
    const code = await main(["import-rpi", join(dir, "u2.tar.zst"), "-n", "r", "-t", "pi5", "-o", join(dir, "u2.mender")]);
    expect(code).toBe(1);
    expect(() => readFileSync(join(dir, "u2.mender"))).toThrow();
  });
});
