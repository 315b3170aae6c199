// LUKS2 recognition from the on-disk header alone: magic, version, label, UUID; everything else is "not LUKS2".
import { describe, expect, it } from "vitest";
import { luksHeaderBytes, parseLuksHeader } from "../../../plugins/devmapper/luks-header.js";

describe("parseLuksHeader", () => {
  it("reads label and UUID of a LUKS2 header", () => {
    expect(parseLuksHeader(luksHeaderBytes("OSDATA_CRYPT", "11111111-2222-3333-4444-555555555555"))).toEqual({
      version: 2,
      label: "OSDATA_CRYPT",
      uuid: "11111111-2222-3333-4444-555555555555",
    });
  });

  it("an unlabelled container has an empty label", () => {
    expect(parseLuksHeader(luksHeaderBytes(""))?.label).toBe("");
  });

  it("luks1-header is not taken for LUKS2", () => {
    const b = luksHeaderBytes("OSAB_CRYPT");
    b.writeUInt16BE(1, 6);
    expect(parseLuksHeader(b)).toBeUndefined();
  });

  it("secondary-header-magic at offset 0 is not a primary header", () => {
    const b = luksHeaderBytes("OSAB_CRYPT");
    Buffer.from([0x53, 0x4b, 0x55, 0x4c, 0xba, 0xbe]).copy(b, 0);
    expect(parseLuksHeader(b)).toBeUndefined();
  });

  it.each([
    ["filesystem-at-offset-0", Buffer.alloc(4096, 0x20)],
    ["empty-partition", Buffer.alloc(0)],
    ["header-truncated-before-uuid", luksHeaderBytes("USERDATA_CRYPT").subarray(0, 100)],
  ])("%s is not LUKS2", (_n, head) => {
    expect(parseLuksHeader(head)).toBeUndefined();
  });
});
