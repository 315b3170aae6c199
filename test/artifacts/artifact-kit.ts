// Test kit: in-memory artifact crafting (valid and deliberately broken), key generation and read helpers.
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { vi } from "vitest";
import { Readable, Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { openArtifact } from "../../artifacts/reader/open-artifact.js";
import type { ReadOptions } from "../../artifacts/artifact-header.js";
import { TAR_END, encodeTarHeader, tarPadding } from "../../artifacts/tar/tar-writer.js";
import { writeArtifact, type WriteOptions } from "../../artifacts/writer/write-artifact.js";
import { signManifest } from "../../artifacts/crypto/manifest-signature.js";
import type { ByteSource } from "../../artifacts/tar/byte-source.js";

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

/** A ByteSource over `buf` that hands out at most `max` bytes per read (short reads, as a file or pipe may). */
export function bufferSource(buf: Buffer, max = 7000): ByteSource & { closed: boolean } {
  let pos = 0;
  return {
    closed: false,
    read(target, offset, length) {
      const n = Math.min(length, max, buf.length - pos);
      buf.copy(target, offset, pos, pos + n);
      pos += n;
      return Promise.resolve(n);
    },
    close() {
      this.closed = true;
      return Promise.resolve();
    },
  };
}

async function readAllOnce(buf: Buffer, options: ReadOptions, chunk: number, mode: "stream" | "pull") {
  let a;
  if (mode === "stream") {
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
    a = await openArtifact(Readable.from(chunks), options);
  } else {
    // parallel hashing from the first byte, so every uncompressed test payload also runs the worker-thread hash
    a = await openArtifact(bufferSource(buf), { parallelHashMinBytes: 1, ...options });
  }
  const files: Array<{ name: string; data: Buffer }> = [];
  for await (const p of a.payloads()) {
    for await (const f of p.files) {
      const parts: Buffer[] = [];
      if (mode === "stream") {
        for await (const c of f.stream) parts.push(c as Buffer);
      } else {
        // 96 KiB reads: over the 64 KiB staging size, so large bodies take the no-copy path
        for (;;) {
          const into = Buffer.alloc(96 * 1024);
          const n = await f.read!(into, 0, into.length);
          if (n === 0) break;
          parts.push(into.subarray(0, n));
        }
      }
      files.push({ name: f.name, data: Buffer.concat(parts) });
    }
  }
  const summary = await a.done();
  return { header: a.header, files, summary };
}

/**
 * Reads an artifact fully (payload bytes collected), returning header, files and summary, or throwing. Every read
 * runs twice — as a Readable with `stream` consumers and as a ByteSource with `read` consumers — and the two must
 * agree (same files and summary, or the same error code), so every artifact test covers both paths.
 */
export async function readAll(buf: Buffer, options: ReadOptions = {}, chunk = 4096) {
  const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
  const streamed = await settle(readAllOnce(buf, options, chunk, "stream"));
  const pulled = await settle(readAllOnce(buf, options, chunk, "pull"));
  if ("error" in streamed) {
    const code = (x: unknown) => (x as { code?: string } | undefined)?.code;
    if (!("error" in pulled) || code(pulled.error) !== code(streamed.error)) {
      throw new Error(`stream and pull reads disagree: stream ${String(code(streamed.error))} (${String(streamed.error)}), pull ${"error" in pulled ? `${String(code(pulled.error))} (${String(pulled.error)})` : "succeeded"}`);
    }
    throw streamed.error;
  }
  if ("error" in pulled) throw new Error(`stream read succeeded but the pull read failed: ${String((pulled.error as Error).stack ?? pulled.error)}`);
  const same =
    JSON.stringify(pulled.value.summary) === JSON.stringify(streamed.value.summary) &&
    pulled.value.files.length === streamed.value.files.length &&
    pulled.value.files.every((f, i) => f.name === streamed.value.files[i]!.name && f.data.equals(streamed.value.files[i]!.data));
  if (!same) throw new Error("stream and pull reads delivered different files or summaries");
  return streamed.value;
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

/** Runs the `ota-artifact` CLI in process, capturing what it prints; resolves with its exit code. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import("../../artifacts/cli/main.js");
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
