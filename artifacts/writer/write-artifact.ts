// writeArtifact: writes a Mender Artifact v3 (rootfs-image, module-image, bootstrap) that mender-artifact accepts.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Compression, KeyInput } from "../artifact-header.js";
import { compress } from "../compression/compress.js";
import { compressionSuffix } from "../compression/decompress.js";
import { signManifest } from "../crypto/manifest-signature.js";
import { ArtifactError } from "../errors.js";
import { PAYLOAD_FILE_NAME } from "../tar/safe-name.js";
import { TAR_END, encodeTarHeader, tarPadding } from "../tar/tar-writer.js";
import { goJson, goJsonSorted, sortedKeys } from "./go-json.js";

/** The canonical version member (31 bytes, sha256 96bcd965…). */
export const VERSION_BYTES = Buffer.from('{"format":"mender","version":3}');

/** One payload file: a path (size, mode, mtime from stat) or a stream factory with a known size. */
export interface WriterFile {
  /** Flat name inside the payload, [A-Za-z0-9_.,-]+ (≤ 90 characters). */
  name: string;
  path?: string;
  size?: number;
  open?: () => Readable | Promise<Readable>;
  mode?: number;
  /** Seconds since the epoch. */
  mtime?: number;
}

/** A state script: file path or content, named <State>_<Enter|Leave|Error>_NN[_desc]. */
export interface WriterScript {
  name: string;
  path?: string;
  content?: Buffer;
  mode?: number;
}

/** Options of writeArtifact (mirrors mender-artifact's write flags). */
export interface WriteOptions {
  kind: "rootfs-image" | "module-image" | "bootstrap-artifact";
  /** -n */
  name: string;
  /** -t (repeatable) */
  deviceTypes: string[];
  /** -T: the module-image payload type (e.g. "single-file", "rpi-ab-slot"). */
  payloadType?: string;
  /** -f (repeatable); exactly one for rootfs-image, none for bootstrap. Consumed once, in order. */
  files?: Iterable<WriterFile> | AsyncIterable<WriterFile>;
  /** --compression, default gzip. */
  compression?: Compression;
  /** -k: signs the manifest (RSA PKCS#1 v1.5, ECDSA P-256 raw r||s, Ed25519). */
  signingKey?: KeyInput;
  /** -p key:value */
  provides?: Record<string, string>;
  /** -d key:value */
  depends?: Record<string, string>;
  /** --clears-provides (repeatable) */
  clearsProvides?: string[];
  noDefaultClearsProvides?: boolean;
  softwareName?: string;
  softwareVersion?: string;
  /** --software-filesystem, default "rootfs-image". */
  softwareFilesystem?: string;
  noDefaultSoftwareVersion?: boolean;
  /** rootfs-image: omit rootfs-image.checksum. */
  noChecksumProvide?: boolean;
  /** -g */
  providesGroup?: string;
  /** -N (repeatable) */
  dependsArtifactNames?: string[];
  /** -G (repeatable) */
  dependsGroups?: string[];
  /** -s (repeatable) */
  scripts?: WriterScript[];
  /** -m: module meta-data (a JSON object). */
  metaData?: Record<string, unknown>;
  /** Extra type-info provides computed from the written files (e.g. rpi-ab-slot checksums). */
  providesFromFiles?: (files: ReadonlyArray<{ name: string; size: number; sha256: string }>) => Record<string, string>;
  /** Where the compressed data tar is staged (the manifest must precede it). Default os.tmpdir(). */
  tmpDir?: string;
}

/** What was written. */
export interface WriteResult {
  files: Array<{ name: string; size: number; sha256: string }>;
  manifest: string;
  signed: boolean;
  typeInfo: Record<string, unknown>;
  headerInfo: Record<string, unknown>;
}

const SCRIPT_NAME = /^(ArtifactInstall|ArtifactReboot|ArtifactCommit|ArtifactRollback|ArtifactRollbackReboot|ArtifactFailure)_(Enter|Leave|Error)_\d\d(_\S*)?$/;

function invalid(msg: string): ArtifactError {
  return new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", msg);
}

function validString(s: string, what: string): void {
  if (s === "" || Buffer.byteLength(s) > 256 || /[\x00-\x1f\x7f]/.test(s)) throw invalid(`${what} must be 1–256 printable bytes: ${JSON.stringify(s)}`);
}

function header(name: string, size: number, extra: { mode?: number; mtime?: number } = {}): Buffer {
  return encodeTarHeader({ name, size, mode: extra.mode ?? 0o600, mtime: extra.mtime ?? 0 });
}

/** One in-memory tar member: header, body, padding. */
function memberBytes(name: string, body: Buffer, extra: { mode?: number; mtime?: number } = {}): Buffer {
  return Buffer.concat([header(name, body.length, extra), body, tarPadding(body.length)]);
}

/** Keeps ArtifactErrors; wraps anything else (ENOSPC, EPIPE, EACCES) as OTA_ERR_ARTIFACT_IO saying what failed. */
function asIoError(err: unknown, what: string): unknown {
  if (err instanceof ArtifactError) return err;
  return new ArtifactError("OTA_ERR_ARTIFACT_IO", `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function validate(o: WriteOptions): void {
  validString(o.name, "artifact name (-n)");
  if (/\s/.test(o.name)) throw invalid(`artifact name (-n) must not contain whitespace: ${JSON.stringify(o.name)}`);
  if (o.deviceTypes.length === 0) throw invalid("at least one device type (-t) is required");
  o.deviceTypes.forEach((t) => validString(t, "device type (-t)"));
  if (o.kind === "module-image") {
    if (o.payloadType === undefined || o.payloadType === "") throw invalid("module-image needs a payload type (-T)");
    validString(o.payloadType, "payload type (-T)");
    if (o.payloadType.includes("/")) throw invalid(`payload type (-T) must not contain '/': ${o.payloadType}`);
  }
  for (const s of o.scripts ?? []) if (!SCRIPT_NAME.test(s.name)) throw invalid(`state script name ${JSON.stringify(s.name)} is not <State>_<Enter|Leave|Error>_NN[_desc]`);
  if (o.kind === "bootstrap-artifact" && (o.scripts?.length ?? 0) > 0) throw invalid("bootstrap artifacts carry no state scripts");
  if (o.kind === "bootstrap-artifact" && o.metaData !== undefined) throw invalid("bootstrap artifacts carry no meta-data");
}

/**
 * Writes an artifact to `output` (ended when done). The data tar is compressed into a temp file first because the
 * manifest — which precedes it — holds the payload checksums; memory stays bounded by one chunk.
 */
export async function writeArtifact(options: WriteOptions, output: Writable): Promise<WriteResult> {
  validate(options);
  const kind = options.compression ?? "gzip";
  const ext = compressionSuffix(kind);
  const payloadType = options.kind === "rootfs-image" ? "rootfs-image" : options.kind === "bootstrap-artifact" ? null : options.payloadType!;
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), "ota-artifact-"));
  try {
    // --- data/0000.tar<ext> into a temp file, hashing every payload file ---
    const written: WriteResult["files"] = [];
    const names = new Set<string>();
    async function* dataTar(): AsyncGenerator<Buffer> {
      for await (const f of options.files ?? []) {
        if (payloadType === null) throw invalid("bootstrap artifacts carry no payload files");
        if (!PAYLOAD_FILE_NAME.test(f.name) || f.name.length > 90) throw invalid(`payload file name ${JSON.stringify(f.name)} must match [A-Za-z0-9_.,-]+ and be ≤ 90 characters`);
        if (names.has(f.name)) throw invalid(`payload file ${f.name} given twice`);
        names.add(f.name);
        let size = f.size;
        let mode = f.mode ?? 0o644;
        let mtime = f.mtime ?? Math.floor(Date.now() / 1000);
        let src: Readable;
        if (f.path !== undefined) {
          let st;
          try {
            st = await stat(f.path);
          } catch (err) {
            throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${f.path}: cannot read payload file (${(err as Error).message})`, { cause: err });
          }
          if (!st.isFile()) throw invalid(`${f.path} is not a regular file`);
          size = st.size;
          mode = f.mode ?? st.mode & 0o7777;
          mtime = f.mtime ?? Math.floor(st.mtimeMs / 1000);
          src = createReadStream(f.path, { highWaterMark: 1024 * 1024 });
        } else if (f.open !== undefined && size !== undefined) {
          src = await f.open();
        } else {
          throw invalid(`payload file ${f.name} needs a path, or open() and size`);
        }
        yield encodeTarHeader({ name: f.name, size, mode, mtime });
        const hash = createHash("sha256");
        let n = 0;
        for await (const chunk of src) {
          const c = chunk as Buffer;
          n += c.length;
          if (n > size) throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `payload file ${f.name}: more than the declared ${size} bytes`);
          hash.update(c);
          yield c;
        }
        if (n !== size) throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `payload file ${f.name}: ${n} bytes read, ${size} declared`);
        yield tarPadding(size);
        written.push({ name: f.name, size, sha256: hash.digest("hex") });
      }
      yield TAR_END;
    }
    const dataPath = join(dir, `data.tar${ext}`);
    await pipeline(compress(kind, Readable.from(dataTar())), createWriteStream(dataPath)).catch((err: unknown) => {
      throw asIoError(err, `staging the data tar in ${dir}`);
    });
    if (options.kind === "rootfs-image" && written.length !== 1) throw invalid(`rootfs-image needs exactly one payload file (-f), got ${written.length}`);

    // --- type-info and header-info, in mender-artifact's field order ---
    const provides: Record<string, string> = { ...options.provides };
    const clears: string[] = [...(options.clearsProvides ?? [])];
    if (payloadType !== null) {
      const fs = options.softwareFilesystem ?? "rootfs-image";
      const swName = options.softwareName ?? (options.kind === "module-image" ? payloadType : "");
      const swBase = swName === "" ? fs : `${fs}.${swName}`;
      if (options.noDefaultSoftwareVersion !== true) provides[`${swBase}.version`] = options.softwareVersion ?? options.name;
      if (options.kind === "rootfs-image" && options.noChecksumProvide !== true) provides["rootfs-image.checksum"] = written[0]!.sha256;
      Object.assign(provides, options.providesFromFiles?.(written));
      if (options.noDefaultClearsProvides !== true) {
        if (options.kind === "rootfs-image") clears.push("artifact_group", "rootfs_image_checksum", "rootfs-image.*");
        else clears.push(`${swBase}.*`);
      }
    }
    const typeInfo: Record<string, unknown> = { type: payloadType };
    if (options.depends !== undefined && Object.keys(options.depends).length > 0) typeInfo.artifact_depends = sortedKeys(options.depends);
    if (Object.keys(provides).length > 0) typeInfo.artifact_provides = sortedKeys(provides);
    if (clears.length > 0) typeInfo.clears_artifact_provides = [...new Set(clears)];
    const artifactProvides: Record<string, unknown> = { artifact_name: options.name };
    if (options.providesGroup !== undefined && options.providesGroup !== "") artifactProvides.artifact_group = options.providesGroup;
    const artifactDepends: Record<string, unknown> = {};
    if ((options.dependsArtifactNames ?? []).length > 0) artifactDepends.artifact_name = options.dependsArtifactNames;
    artifactDepends.device_type = options.deviceTypes;
    if ((options.dependsGroups ?? []).length > 0) artifactDepends.artifact_group = options.dependsGroups;
    const headerInfo = { payloads: [{ type: payloadType }], artifact_provides: artifactProvides, artifact_depends: artifactDepends };

    // --- header.tar<ext>: header-info, scripts, type-info, meta-data ---
    const parts: Buffer[] = [memberBytes("header-info", Buffer.from(goJson(headerInfo)))];
    for (const s of options.scripts ?? []) {
      let content = s.content;
      let mode = s.mode ?? 0o755;
      let mtime = Math.floor(Date.now() / 1000);
      if (content === undefined) {
        if (s.path === undefined) throw invalid(`state script ${s.name} needs a path or content`);
        try {
          content = await readFile(s.path);
          const st = await stat(s.path);
          mode = s.mode ?? st.mode & 0o7777;
          mtime = Math.floor(st.mtimeMs / 1000);
        } catch (err) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${s.path}: cannot read state script (${(err as Error).message})`, { cause: err });
        }
      }
      parts.push(memberBytes(`scripts/${s.name}`, content, { mode, mtime }));
    }
    parts.push(memberBytes("headers/0000/type-info", Buffer.from(goJson(typeInfo))));
    if (payloadType !== null) {
      // rootfs-image always has a 0-byte meta-data; modules only when given (as mender-artifact does).
      if (options.metaData !== undefined) parts.push(memberBytes("headers/0000/meta-data", Buffer.from(goJsonSorted(options.metaData))));
      else if (options.kind === "rootfs-image") parts.push(memberBytes("headers/0000/meta-data", Buffer.alloc(0)));
    }
    parts.push(TAR_END);
    const headerTar = await collect(compress(kind, Readable.from([Buffer.concat(parts)])));

    // --- manifest (+ signature) ---
    const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
    const lines = [
      ...written.map((f) => `${f.sha256}  data/0000/${f.name}`),
      `${sha(headerTar)}  header.tar${ext}`,
      `${sha(VERSION_BYTES)}  version`,
    ];
    const manifest = Buffer.from(lines.map((l) => `${l}\n`).join(""));
    const sig = options.signingKey !== undefined ? Buffer.from(signManifest(manifest, options.signingKey)) : undefined;

    // --- outer tar ---
    const dataSize = (await stat(dataPath)).size;
    const now = Math.floor(Date.now() / 1000);
    async function* outer(): AsyncGenerator<Buffer> {
      yield memberBytes("version", VERSION_BYTES);
      yield memberBytes("manifest", manifest);
      if (sig !== undefined) yield memberBytes("manifest.sig", sig);
      yield memberBytes(`header.tar${ext}`, headerTar, { mtime: now });
      yield header(`data/0000.tar${ext}`, dataSize, { mtime: now });
      for await (const c of createReadStream(dataPath, { highWaterMark: 1024 * 1024 })) yield c as Buffer;
      yield tarPadding(dataSize);
      yield TAR_END;
    }
    await pipeline(Readable.from(outer()), output).catch((err: unknown) => {
      throw asIoError(err, "writing the artifact");
    });
    return { files: written, manifest: manifest.toString("utf8"), signed: sig !== undefined, typeInfo, headerInfo };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
