// The bad-input list of the artifact format: each case has a code of its own, and the message names the member and the fault.
import { describe, expect, it } from "vitest";
import type { ReadOptions } from "../../../artifacts/artifact-header.js";
import { craft, readError, sha, type Member } from "../artifact-kit.js";

const hi = (extra: Record<string, unknown> = {}) => ({
  payloads: [{ type: "rootfs-image" }],
  artifact_provides: { artifact_name: "rel-2" },
  artifact_depends: { device_type: ["pi4"], artifact_name: ["rel-1"] },
  ...extra,
});

/** One case per kind of bad input: the crafted artifact, read options, the code, and what the message must mention. */
const CASES: Array<{ name: string; input: () => Buffer; options?: ReadOptions; code: string; mentions: RegExp }> = [
  { name: "artifact-truncated-inside-header", input: () => craft().subarray(0, 2048 + 700), code: "OTA_ERR_ARTIFACT_TRUNCATED", mentions: /header\.tar/ },
  { name: "member-order-header-before-manifest", input: () => craft({ outer: (m: Member[]) => [m[0]!, m[2]!, m[1]!, m[3]!] }), code: "OTA_ERR_ARTIFACT_MEMBER_ORDER", mentions: /header\.tar/ },
  { name: "header-info-unknown-key", input: () => craft({ headerInfo: hi({ surprise: 1 }) }), code: "OTA_ERR_ARTIFACT_HEADER_INVALID", mentions: /header-info.*surprise/ },
  { name: "manifest-without-final-newline", input: () => craft({ manifest: (m) => m.slice(0, -1) }), code: "OTA_ERR_ARTIFACT_MANIFEST_INVALID", mentions: /manifest.*newline/ },
  { name: "manifest-entry-missing", input: () => craft({ manifest: (m) => m.split("\n").filter((l) => !l.includes("data/")).join("\n") }), code: "OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING", mentions: /rootfs\.ext4/ },
  { name: "manifest-entry-extra", input: () => craft({ manifest: (m) => `${m}${sha("x")}  data/0000/ghost.bin\n` }), code: "OTA_ERR_ARTIFACT_MANIFEST_ENTRY_UNUSED", mentions: /ghost\.bin/ },
  { name: "payload-checksum-mismatch", input: () => craft({ manifest: (m) => m.replace(/^[0-9a-f]{64}(?=  data)/m, sha("other")) }), code: "OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", mentions: /rootfs\.ext4/ },
  { name: "payload-absolute-name", input: () => craft({ files: [{ name: "/etc/passwd", body: Buffer.from("x") }] }), code: "OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE", mentions: /\/etc\/passwd/ },
  { name: "payload-dotdot-name", input: () => craft({ files: [{ name: "../evil", body: Buffer.from("x") }] }), code: "OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE", mentions: /\.\.\/evil/ },
  { name: "oversized-header", input: () => craft({ scripts: [{ name: "scripts/ArtifactInstall_Enter_00", body: Buffer.alloc(300_000, 0x41) }] }), options: { limits: { maxHeaderBytes: 100_000 } }, code: "OTA_ERR_ARTIFACT_TOO_LARGE", mentions: /header\.tar/ },
  { name: "meta-data-bad-json", input: () => craft({ metaData: Buffer.from("{not json") }), code: "OTA_ERR_ARTIFACT_JSON_INVALID", mentions: /meta-data/ },
  { name: "wrong-device-type", input: () => craft({ headerInfo: hi() }), options: { deviceType: "pi3" }, code: "OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH", mentions: /pi3/ },
  { name: "incompatible-depends", input: () => craft({ headerInfo: hi() }), options: { deviceType: "pi4", installed: { name: "rel-0", provides: {} } }, code: "OTA_ERR_ARTIFACT_DEPENDS_UNSATISFIED", mentions: /rel-1|rel-0/ },
];

describe("bad input codes", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_n, c) => {
    const err = await readError(c.input(), c.options);
    expect(err.code).toBe(c.code);
    expect(err.message).toMatch(c.mentions);
  });

  it("no two kinds of bad input share a code (except the two unsafe-name forms)", () => {
    const byCode = new Map<string, string[]>();
    for (const c of CASES) byCode.set(c.code, [...(byCode.get(c.code) ?? []), c.name]);
    const shared = [...byCode.entries()].filter(([, names]) => names.length > 1);
    expect(shared).toEqual([["OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE", ["payload-absolute-name", "payload-dotdot-name"]]]);
  });
});
