// TarReader: a strict streaming USTAR/PAX/GNU reader that yields entries whose bodies are pulled on demand.
import { ArtifactError } from "../errors.js";
import type { ByteReader } from "./byte-reader.js";

const BLOCK = 512;
/** Bound on PAX / GNU long-name records: they are metadata, never payload. */
const MAX_META_RECORD = 64 * 1024;

/** A tar entry's header fields that the artifact format cares about. */
export interface TarHeader {
  name: string;
  size: number;
  mode: number;
  mtime: number;
  /** "file", "directory" or "other" (links, devices, fifos). */
  type: "file" | "directory" | "other";
  /** Offset of this entry's first header block (including PAX/GNU records) in the tar stream. */
  headerOffset: number;
}

/** Where the tar ended and what followed the end-of-archive marker. */
export interface TarEnd {
  /** Bytes up to and including the two zero blocks. */
  endOffset: number;
}

/** Options for one tar stream. */
export interface TarReaderOptions {
  /** Human name of this tar for messages ("artifact", "header.tar.gz", "data/0000.tar.gz"). */
  label: string;
  /** Max bytes of zero padding accepted after the end-of-archive marker (record padding). */
  maxTrailer?: number;
  /** Error code for bytes after the end marker that are not zero padding. */
  trailerCode?: "OTA_ERR_ARTIFACT_TAR_INVALID" | "OTA_ERR_ARTIFACT_DECOMPRESSION_BOMB";
}

function parseOctal(buf: Buffer, off: number, len: number, label: string, field: string): number {
  const raw = buf.subarray(off, off + len);
  if ((raw[0]! & 0x80) !== 0) {
    // GNU base-256: only accept positive values that fit in a safe integer.
    let v = 0;
    for (let i = 1; i < raw.length; i++) v = v * 256 + raw[i]!;
    if (!Number.isSafeInteger(v) || (raw[0]! & 0x40) !== 0) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${label}: tar header field ${field} is out of range`);
    }
    return v;
  }
  const text = raw.toString("latin1").replace(/\0.*$/s, "").trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${label}: tar header field ${field} is not octal (${JSON.stringify(text)})`);
  }
  return parseInt(text, 8);
}

function cstr(buf: Buffer, off: number, len: number): string {
  const raw = buf.subarray(off, off + len);
  const nul = raw.indexOf(0);
  return (nul < 0 ? raw : raw.subarray(0, nul)).toString("utf8");
}

function parsePax(buf: Buffer, label: string): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break;
    const sp = buf.indexOf(0x20, pos);
    if (sp < 0) throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${label}: malformed PAX record`);
    const len = parseInt(buf.subarray(pos, sp).toString("latin1"), 10);
    if (!Number.isSafeInteger(len) || len <= sp - pos + 1 || pos + len > buf.length) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${label}: malformed PAX record length`);
    }
    const rec = buf.subarray(sp + 1, pos + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    if (eq < 0) throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${label}: malformed PAX record`);
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

/**
 * Reads one tar stream strictly: header checksums checked, the two-zero-block end marker required (EOF before it is
 * truncation), only zero padding accepted after it. Callers read each entry's body with `readBody`/`skipBody`
 * before asking for the next entry.
 */
export class TarReader {
  private bodyLeft = 0;
  private padLeft = 0;
  private finished = false;
  /** Name of the entry whose body is being read (for messages). */
  private current: string | undefined;
  end: TarEnd | undefined;

  constructor(
    private readonly bytes: ByteReader,
    private readonly opts: TarReaderOptions,
  ) {}

  private truncated(what: string, member?: string): ArtifactError {
    // Between members, name the last complete one so a cut at a member boundary still says where it happened.
    const where = member === undefined ? (this.current === undefined ? " (before the first member)" : ` (after ${this.current})`) : "";
    return new ArtifactError("OTA_ERR_ARTIFACT_TRUNCATED", `${this.opts.label}: input ended ${what}${where}`, {
      details: member === undefined ? { member: this.opts.label, ...(this.current === undefined ? {} : { after: this.current }) } : { member },
    });
  }

  /** Next entry header, or null after the end-of-archive marker. The previous body must have been consumed. */
  async next(): Promise<TarHeader | null> {
    if (this.finished) return null;
    if (this.bodyLeft > 0) await this.skipBody();
    if (this.padLeft > 0) {
      const got = await this.bytes.skip(this.padLeft);
      if (got < this.padLeft) throw this.truncated("inside tar padding");
      this.padLeft = 0;
    }
    let longName: string | undefined;
    let pax: Record<string, string> | undefined;
    for (;;) {
      const headerOffset = this.bytes.consumed;
      const block = await this.bytes.readExact(BLOCK);
      if (block.length === 0) throw this.truncated("before the end-of-archive marker");
      if (block.length < BLOCK) throw this.truncated("inside a tar header");
      if (block.every((b) => b === 0)) {
        const second = await this.bytes.readExact(BLOCK);
        if (second.length < BLOCK) throw this.truncated("inside the end-of-archive marker");
        if (!second.every((b) => b === 0)) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${this.opts.label}: a zero block is followed by data`);
        }
        this.end = { endOffset: this.bytes.consumed };
        await this.checkTrailer();
        this.finished = true;
        return null;
      }
      const stored = parseOctal(block, 148, 8, this.opts.label, "chksum");
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
      if (sum !== stored) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${this.opts.label}: tar header checksum mismatch at offset ${headerOffset}`);
      }
      const typeflag = String.fromCharCode(block[156]!);
      let size = parseOctal(block, 124, 12, this.opts.label, "size");
      if (typeflag === "x" || typeflag === "g" || typeflag === "L") {
        if (size > MAX_META_RECORD) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", `${this.opts.label}: tar metadata record of ${size} bytes`);
        }
        // copied: skipping the padding below may refill a reused staging buffer (ByteReader pull mode)
        const body = Buffer.from(await this.bytes.readExact(size));
        if (body.length < size) throw this.truncated("inside a tar metadata record");
        const pad = (BLOCK - (size % BLOCK)) % BLOCK;
        if ((await this.bytes.skip(pad)) < pad) throw this.truncated("inside tar padding");
        if (typeflag === "L") longName = cstr(body, 0, body.length);
        else if (typeflag === "x") pax = { ...pax, ...parsePax(body, this.opts.label) };
        continue;
      }
      const magic = block.subarray(257, 263).toString("latin1");
      let name = cstr(block, 0, 100);
      if (magic.startsWith("ustar")) {
        const prefix = cstr(block, 345, 155);
        if (prefix !== "") name = `${prefix}/${name}`;
      }
      if (longName !== undefined) name = longName;
      if (pax?.path !== undefined) name = pax.path;
      if (pax?.size !== undefined) {
        if (!/^\d+$/.test(pax.size)) throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${this.opts.label}: bad PAX size`);
        size = Number(pax.size);
        if (!Number.isSafeInteger(size)) throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${this.opts.label}: PAX size out of range`);
      }
      const type = typeflag === "0" || typeflag === "\0" || typeflag === "7" ? "file" : typeflag === "5" ? "directory" : "other";
      const header: TarHeader = {
        name,
        size: type === "file" ? size : type === "directory" ? 0 : size,
        mode: parseOctal(block, 100, 8, this.opts.label, "mode"),
        mtime: parseOctal(block, 136, 12, this.opts.label, "mtime"),
        type,
        headerOffset,
      };
      // Hard/sym links and devices carry no body in practice; honour a declared size anyway so we stay in sync.
      this.bodyLeft = header.size;
      this.current = name;
      this.padLeft = (BLOCK - (header.size % BLOCK)) % BLOCK;
      return header;
    }
  }

  /** Up to `max` bytes of the current entry's body, or null when the body is complete. */
  async readBody(max = 256 * 1024): Promise<Buffer | null> {
    if (this.bodyLeft === 0) return null;
    const part = await this.bytes.read(Math.min(max, this.bodyLeft));
    if (part === null) throw this.truncated(`inside ${this.current ?? "a member"}`, this.current);
    this.bodyLeft -= part.length;
    return part;
  }

  /** Copies up to `length` bytes of the current entry's body into `target`; 0 when the body is complete. */
  async readBodyInto(target: Buffer, offset: number, length: number): Promise<number> {
    if (this.bodyLeft === 0 || length <= 0) return 0;
    const n = await this.bytes.readInto(target, offset, Math.min(length, this.bodyLeft));
    if (n === 0) throw this.truncated(`inside ${this.current ?? "a member"}`, this.current);
    this.bodyLeft -= n;
    return n;
  }

  /** True when body slices from readBody are views of a reused buffer, valid only until the next read. */
  get reusesBuffers(): boolean {
    return this.bytes.reusesBuffers;
  }

  /** The whole remaining body, refusing more than `limit` bytes. */
  async readAll(limit: number, member: string): Promise<Buffer> {
    if (this.bodyLeft > limit) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", `${member}: ${this.bodyLeft} bytes exceed the limit of ${limit}`, {
        details: { member, limit },
      });
    }
    const n = this.bodyLeft;
    const buf = await this.bytes.readExact(n);
    this.bodyLeft = 0;
    if (buf.length < n) throw this.truncated(`inside ${member}`, member);
    return Buffer.from(buf);
  }

  /** Skips (optionally observing) the rest of the current body. */
  async skipBody(onData?: (b: Buffer) => void): Promise<void> {
    const n = this.bodyLeft;
    const got = await this.bytes.skip(n, onData);
    this.bodyLeft = 0;
    if (got < n) throw this.truncated(`inside ${this.current ?? "a member"}`, this.current);
  }

  /** Bytes left in the current body. */
  get remaining(): number {
    return this.bodyLeft;
  }

  private async checkTrailer(): Promise<void> {
    const max = this.opts.maxTrailer ?? 1024 * 1024;
    let seen = 0;
    for (;;) {
      const part = await this.bytes.read(64 * 1024);
      if (part === null) return;
      seen += part.length;
      if (seen > max || !part.every((b) => b === 0)) {
        const code = this.opts.trailerCode ?? "OTA_ERR_ARTIFACT_TAR_INVALID";
        throw new ArtifactError(code, `${this.opts.label}: unexpected data after the end-of-archive marker`, {
          details: { member: this.opts.label },
        });
      }
    }
  }
}
