// USTAR header encoding as Go's archive/tar writes it (what mender-artifact emits), plus padding and the end marker.
import { ArtifactError } from "../errors.js";

/** Fields of one entry to encode. */
export interface TarEntryHeader {
  name: string;
  size: number;
  /** Default 0o600 (mender-artifact's in-memory members). */
  mode?: number;
  /** Seconds since the epoch; default 0 (mender-artifact's in-memory members). */
  mtime?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** "0" regular file (default), "5" directory. */
  typeflag?: "0" | "5";
}

function octal(value: number, width: number): string {
  // Go writes width-1 zero-padded octal digits and a NUL terminator.
  const s = value.toString(8);
  if (s.length > width - 1) throw new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", `tar field value ${value} does not fit ${width} bytes`);
  return s.padStart(width - 1, "0") + "\0";
}

/** One 512-byte USTAR header; names over 100 bytes use the prefix field (up to 255 bytes in all). */
export function encodeTarHeader(h: TarEntryHeader): Buffer {
  const buf = Buffer.alloc(512);
  let name = h.name;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 1);
    if (cut <= 0 || Buffer.byteLength(name.slice(0, cut)) > 155 || Buffer.byteLength(name.slice(cut + 1)) > 100) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", `tar name too long: ${name.slice(0, 120)}`);
    }
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  buf.write(name, 0, 100, "utf8");
  buf.write(octal(h.mode ?? 0o600, 8), 100, "latin1");
  buf.write(octal(h.uid ?? 0, 8), 108, "latin1");
  buf.write(octal(h.gid ?? 0, 8), 116, "latin1");
  buf.write(octal(h.size, 12), 124, "latin1");
  buf.write(octal(Math.floor(h.mtime ?? 0), 12), 136, "latin1");
  buf.write("        ", 148, "latin1");
  buf.write(h.typeflag ?? "0", 156, "latin1");
  buf.write("ustar\0", 257, "latin1");
  buf.write("00", 263, "latin1");
  buf.write((h.uname ?? "").slice(0, 31), 265, "utf8");
  buf.write((h.gname ?? "").slice(0, 31), 297, "utf8");
  // Go's archive/tar (mender-artifact) always fills devmajor/devminor with octal zeros; so do we, for byte-equal headers.
  buf.write(octal(0, 8), 329, "latin1");
  buf.write(octal(0, 8), 337, "latin1");
  if (prefix !== "") buf.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += buf[i]!;
  buf.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  return buf;
}

/** Zero padding after `size` body bytes. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** The end-of-archive marker: two zero blocks, no record padding (as Go writes). */
export const TAR_END = Buffer.alloc(1024);
