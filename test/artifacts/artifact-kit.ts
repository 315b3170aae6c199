// Test kit: in-memory artifact crafting (valid and deliberately broken), key generation and read helpers.
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { openArtifact } from "../../artifacts/reader/open-artifact.js";
import type { ReadOptions } from "../../artifacts/artifact-header.js";
import { TAR_END, encodeTarHeader, tarPadding } from "../../artifacts/tar/tar-writer.js";
import { writeArtifact, type WriteOptions } from "../../artifacts/writer/write-artifact.js";
import { signManifest } from "../../artifacts/crypto/manifest-signature.js";

export const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

/** One tar member; `raw` replaces the computed header block (for crafted headers). */
export interface Member {
  name: string;
  body: Buffer;
  mode?: number;
  typeflag?: "0" | "5";
}

export function tar(members: Member[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(encodeTarHeader({ name: m.name, size: m.body.length, mode: m.mode ?? 0o600, typeflag: m.typeflag }), m.body, tarPadding(m.body.length));
  }
  if (end) parts.push(TAR_END);
  return Buffer.concat(parts);
}

/** Parts of a crafted artifact; every field can be overridden to break exactly one thing. */
export interface Craft {
  version?: Buffer;
  headerInfo?: unknown;
  typeInfo?: unknown;
  metaData?: Buffer;
  scripts?: Member[];
  files?: Member[];
  /** Extra members inside header.tar (appended after type-info/meta-data). */
  headerExtra?: Member[];
  /** Replace the computed manifest text. */
  manifest?: (computed: string) => string;
  gzip?: boolean;
  signWith?: KeyObject;
  sigOverride?: Buffer;
  /** Rearrange/replace the outer members. */
  outer?: (members: Member[]) => Member[];
  dataTar?: (computed: Buffer) => Buffer;
  headerTarRaw?: (computed: Buffer) => Buffer;
}

export const GOOD_FILE = Buffer.from("payload-bytes ".repeat(300));

export function craft(c: Craft = {}): Buffer {
  const version = c.version ?? Buffer.from('{"format":"mender","version":3}');
  const headerInfo = c.headerInfo ?? {
    payloads: [{ type: "rootfs-image" }],
    artifact_provides: { artifact_name: "rel-1" },
    artifact_depends: { device_type: ["pi4"] },
  };
  const typeInfo = c.typeInfo ?? { type: "rootfs-image", artifact_provides: { "rootfs-image.version": "rel-1" } };
  const headerMembers: Member[] = [
    { name: "header-info", body: Buffer.from(JSON.stringify(headerInfo)) },
    ...(c.scripts ?? []),
    { name: "headers/0000/type-info", body: Buffer.from(JSON.stringify(typeInfo)) },
    ...(c.metaData !== undefined ? [{ name: "headers/0000/meta-data", body: c.metaData }] : []),
    ...(c.headerExtra ?? []),
  ];
  const files = c.files ?? [{ name: "rootfs.ext4", body: GOOD_FILE, mode: 0o644 }];
  let headerTar = tar(headerMembers);
  let dataTar = tar(files);
  if (c.gzip === true) {
    headerTar = gzipSync(headerTar);
    dataTar = gzipSync(dataTar);
  }
  if (c.headerTarRaw !== undefined) headerTar = c.headerTarRaw(headerTar);
  if (c.dataTar !== undefined) dataTar = c.dataTar(dataTar);
  const ext = c.gzip === true ? ".gz" : "";
  let manifest = [...files.map((f) => `${sha(f.body)}  data/0000/${f.name}\n`), `${sha(headerTar)}  header.tar${ext}\n`, `${sha(version)}  version\n`].join("");
  if (c.manifest !== undefined) manifest = c.manifest(manifest);
  let members: Member[] = [
    { name: "version", body: version },
    { name: "manifest", body: Buffer.from(manifest) },
  ];
  if (c.sigOverride !== undefined) members.push({ name: "manifest.sig", body: c.sigOverride });
  else if (c.signWith !== undefined) members.push({ name: "manifest.sig", body: Buffer.from(signManifest(Buffer.from(manifest), c.signWith)) });
  members.push({ name: `header.tar${ext}`, body: headerTar }, { name: `data/0000.tar${ext}`, body: dataTar });
  if (c.outer !== undefined) members = c.outer(members);
  return tar(members);
}

/** Reads an artifact fully (payload bytes collected), returning header, files and summary, or throwing. */
export async function readAll(buf: Buffer, options: ReadOptions = {}, chunk = 4096) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  const a = await openArtifact(Readable.from(chunks), options);
  const files: Array<{ name: string; data: Buffer }> = [];
  for await (const p of a.payloads()) {
    for await (const f of p.files) {
      const parts: Buffer[] = [];
      for await (const c of f.stream) parts.push(c as Buffer);
      files.push({ name: f.name, data: Buffer.concat(parts) });
    }
  }
  const summary = await a.done();
  return { header: a.header, files, summary };
}

/** The error a read throws (fails the test if none). */
export async function readError(buf: Buffer, options: ReadOptions = {}): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await readAll(buf, options);
  } catch (err) {
    return err as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error("expected the read to fail");
}

/** Writes with writeArtifact into memory. */
export async function writeToBuffer(options: WriteOptions): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  await writeArtifact(options, sink);
  return Buffer.concat(parts);
}

let cachedKeys: { rsa: ReturnType<typeof generateKeyPairSync>; ec: ReturnType<typeof generateKeyPairSync>; ed: ReturnType<typeof generateKeyPairSync> } | undefined;

/** Test-only keys generated per run: RSA 3072, ECDSA P-256, Ed25519. */
export function testKeys() {
  cachedKeys ??= {
    rsa: generateKeyPairSync("rsa", { modulusLength: 3072 }),
    ec: generateKeyPairSync("ec", { namedCurve: "P-256" }),
    ed: generateKeyPairSync("ed25519"),
  };
  return cachedKeys;
}

export const pem = (k: KeyObject): string =>
  k.type === "public" ? (k.export({ type: "spki", format: "pem" }) as string) : (k.export({ type: "pkcs8", format: "pem" }) as string);
