// Recognises a LUKS2 container from its on-disk binary header (magic, version, label, UUID) without cryptsetup.

/** LUKS magic "LUKS\xba\xbe" at offset 0; version (u16 BE) at 6; label char[48] at 24; uuid char[40] at 168. */
const MAGIC = Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]);
export const LUKS_HEADER_PROBE_BYTES = 512;

export interface LuksHeader {
  version: 2;
  label: string;
  uuid: string;
}

function cString(b: Buffer, at: number, length: number): string {
  const field = b.subarray(at, at + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString("utf8");
}

/** The LUKS2 header fields, or undefined when `head` (the first bytes of a device) is not a LUKS2 header. */
export function parseLuksHeader(head: Buffer): LuksHeader | undefined {
  if (head.length < 208 || !head.subarray(0, 6).equals(MAGIC)) return undefined;
  if (head.readUInt16BE(6) !== 2) return undefined;
  return { version: 2, label: cString(head, 24, 48), uuid: cString(head, 168, 40) };
}

/** A minimal LUKS2 binary header with `label` (for fixtures: what parseLuksHeader needs, nothing more). */
export function luksHeaderBytes(label: string, uuid = "0d1e2f30-4152-6374-8596-a7b8c9dae0f1"): Buffer {
  const b = Buffer.alloc(4096);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(2, 6);
  b.writeBigUInt64BE(16384n, 8);
  b.write(label, 24, 47, "utf8");
  b.write("sha256", 72, "latin1");
  b.write(uuid, 168, 39, "latin1");
  return b;
}
