// The `ota-artifact` command line: write, read, validate, sign, import-rpi and sparse-encode (mender-artifact's flags).
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { Compression, KeyInput } from "../artifact-header.js";
import { ArtifactError, isArtifactError } from "../errors.js";
import { openArtifact } from "../reader/open-artifact.js";
import { fileSource } from "../tar/byte-source.js";
import { readRpiUpdate } from "../rpi/read-rpi-update.js";
import { rpiAbSlotWriteOptions } from "../rpi/rpi-ab-slot.js";
import { encodeSparseFile } from "../sparse/sparse-encoder.js";
import { signArtifact } from "../writer/sign-artifact.js";
import { writeArtifact, type WriteOptions, type WriterFile } from "../writer/write-artifact.js";

/** Exit codes (documented in --help and artifacts/README.md). */
export const EXIT = { ok: 0, invalid: 1, usage: 2, failure: 3 } as const;

const HELP = `ota-artifact — read, verify, write and sign Mender Artifact v3 files

Usage:
  ota-artifact write rootfs-image   -n NAME -t TYPE [-t TYPE]... -f FILE -o OUT [common]
  ota-artifact write module-image   -T PAYLOAD_TYPE -n NAME -t TYPE... [-f FILE]... -o OUT [-m META.json] [common]
  ota-artifact write bootstrap-artifact -n NAME -t TYPE... -o OUT [-p KEY:VALUE]... [common]
  ota-artifact write rpi-ab-slot    --boot IMG --system IMG [--sparse] -n NAME -t TYPE... -o OUT [common]
  ota-artifact read FILE [--json] [-k KEY]...
  ota-artifact validate FILE [-k KEY]...
  ota-artifact sign FILE -k PRIVATE_KEY [-o OUT]          (in place without -o)
  ota-artifact import-rpi update.tar.zst -n NAME -t TYPE... -o OUT [-k KEY] [--compression C]
  ota-artifact sparse-encode IMAGE -o OUT [--block-size N] [--no-dont-care]

Common write options (as mender-artifact):
  -k, --key FILE               sign with this private key (RSA, ECDSA P-256, Ed25519 PEM)
  --compression C              none | gzip (default) | xz | lzma | zstd
  -p, --provides K:V           extra type-info provides (repeatable)
  -d, --depends K:V            type-info depends (repeatable)
  -N, --artifact-name-depends NAME   depends on one of these installed artifact names (repeatable)
  -g, --provides-group GROUP   artifact group provided
  -G, --depends-groups GROUP   depends on one of these groups (repeatable)
  -s, --script FILE            state script (repeatable)
  -m, --meta-data FILE         module meta-data JSON object (module-image)
  --software-name NAME / --software-version V / --software-filesystem FS
  --clears-provides PATTERN    (repeatable)   --no-default-clears-provides   --no-default-software-version
  --no-checksum-provide        (rootfs-image) --no-progress (accepted, ignored)

Exit codes: 0 ok; 1 the artifact is invalid or its signature does not verify; 2 usage error;
3 any other failure (I/O, missing tool). Errors print "CODE: message" on stderr.
`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  values: Map<string, string[]>;
  flags: Set<string>;
}

const ALIASES: Record<string, string> = {
  "-n": "--artifact-name", "-t": "--device-type", "-c": "--device-type", "--compatible-types": "--device-type",
  "-f": "--file", "-T": "--type", "-o": "--output-path", "-k": "--key", "-p": "--provides", "-d": "--depends",
  "-N": "--artifact-name-depends", "-g": "--provides-group", "-G": "--depends-groups", "-s": "--script", "-m": "--meta-data",
};
const VALUE_OPTS = new Set([
  "--artifact-name", "--device-type", "--file", "--type", "--output-path", "--key", "--provides", "--depends",
  "--artifact-name-depends", "--provides-group", "--depends-groups", "--script", "--meta-data", "--compression",
  "--software-name", "--software-version", "--software-filesystem", "--clears-provides", "--boot", "--system", "--block-size",
]);
const FLAG_OPTS = new Set([
  "--json", "--sparse", "--no-default-clears-provides", "--no-default-software-version", "--no-checksum-provide",
  "--no-progress", "--no-dont-care", "--help",
]);

function parse(args: string[]): Parsed {
  const out: Parsed = { positional: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let inline: string | undefined;
    if (a.startsWith("--") && a.includes("=")) {
      inline = a.slice(a.indexOf("=") + 1);
      a = a.slice(0, a.indexOf("="));
    }
    const name = ALIASES[a] ?? a;
    if (VALUE_OPTS.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      out.values.set(name, [...(out.values.get(name) ?? []), v]);
    } else if (FLAG_OPTS.has(name) || a === "-h") {
      out.flags.add(a === "-h" ? "--help" : name);
    } else if (a.startsWith("-") && a !== "-") {
      throw new UsageError(`unknown option ${a}`);
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

function one(p: Parsed, key: string, required: true): string;
function one(p: Parsed, key: string, required?: false): string | undefined;
function one(p: Parsed, key: string, required = false): string | undefined {
  const v = p.values.get(key);
  if (v === undefined || v.length === 0) {
    if (required) throw new UsageError(`${key} is required`);
    return undefined;
  }
  if (v.length > 1) throw new UsageError(`${key} given more than once`);
  return v[0];
}

function many(p: Parsed, key: string): string[] {
  return p.values.get(key) ?? [];
}

function keyValues(list: string[], opt: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf(":");
    if (i <= 0) throw new UsageError(`${opt} expects KEY:VALUE, got ${JSON.stringify(kv)}`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function compressionOf(p: Parsed): Compression {
  const c = one(p, "--compression") ?? "gzip";
  if (c === "lzma") return "xz";
  if (c === "none" || c === "gzip" || c === "xz" || c === "zstd") return c;
  if (c.startsWith("zstd_")) return "zstd";
  throw new UsageError(`--compression must be none, gzip, xz (lzma) or zstd, not ${c}`);
}

async function readKey(path: string): Promise<KeyInput> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${path}: cannot read key (${(err as Error).message})`, { cause: err });
  }
}

/** Writes through a temp file next to `out`, renamed into place only on success. */
async function atomicOutput<T>(out: string, body: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  try {
    const r = await body(tmp);
    await rename(tmp, out);
    return r;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function commonWrite(p: Parsed): Omit<WriteOptions, "kind"> {
  const metaPath = one(p, "--meta-data");
  return {
    name: one(p, "--artifact-name", true),
    deviceTypes: many(p, "--device-type"),
    compression: compressionOf(p),
    provides: keyValues(many(p, "--provides"), "-p"),
    depends: keyValues(many(p, "--depends"), "-d"),
    dependsArtifactNames: many(p, "--artifact-name-depends"),
    providesGroup: one(p, "--provides-group"),
    dependsGroups: many(p, "--depends-groups"),
    scripts: many(p, "--script").map((path) => ({ name: basename(path), path })),
    clearsProvides: many(p, "--clears-provides"),
    noDefaultClearsProvides: p.flags.has("--no-default-clears-provides"),
    noDefaultSoftwareVersion: p.flags.has("--no-default-software-version"),
    noChecksumProvide: p.flags.has("--no-checksum-provide"),
    softwareName: one(p, "--software-name"),
    softwareVersion: one(p, "--software-version"),
    softwareFilesystem: one(p, "--software-filesystem"),
    ...(metaPath !== undefined ? { metaDataPath: metaPath } : {}),
  } as Omit<WriteOptions, "kind">;
}

async function loadMeta(options: Omit<WriteOptions, "kind"> & { metaDataPath?: string }): Promise<void> {
  if (options.metaDataPath === undefined) return;
  const text = await readFile(options.metaDataPath, "utf8").catch((err: Error) => {
    throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${options.metaDataPath}: cannot read meta-data (${err.message})`);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_JSON_INVALID", `${options.metaDataPath}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_WRITE_INVALID", `${options.metaDataPath}: meta-data must be a JSON object`);
  }
  options.metaData = parsed as Record<string, unknown>;
  delete options.metaDataPath;
}

async function cmdWrite(p: Parsed): Promise<number> {
  const sub = p.positional[1];
  const out = one(p, "--output-path", true);
  const keyPath = one(p, "--key");
  const common = commonWrite(p) as Omit<WriteOptions, "kind"> & { metaDataPath?: string };
  await loadMeta(common);
  if (keyPath !== undefined) common.signingKey = await readKey(keyPath);
  let options: WriteOptions;
  const files: WriterFile[] = many(p, "--file").map((path) => ({ name: basename(path), path }));
  switch (sub) {
    case "rootfs-image":
      options = { ...common, kind: "rootfs-image", files };
      break;
    case "module-image":
      options = { ...common, kind: "module-image", payloadType: one(p, "--type", true), files };
      break;
    case "bootstrap-artifact":
      options = { ...common, kind: "bootstrap-artifact", files: [] };
      break;
    case "rpi-ab-slot": {
      const sparse = p.flags.has("--sparse");
      const image = async (name: "boot" | "system", path: string): Promise<WriterFile> => {
        if (!sparse) return { name, path };
        const st = await stat(path);
        const enc = await encodeSparseFile(path);
        enc.destroy(); // only the size is needed now; open() re-encodes when the writer reaches this file
        return { name, size: enc.encodedSize, mode: st.mode & 0o7777, open: () => encodeSparseFile(path) };
      };
      const list = [await image("boot", one(p, "--boot", true)), await image("system", one(p, "--system", true))];
      options = rpiAbSlotWriteOptions({ ...common, files: list });
      break;
    }
    default:
      throw new UsageError("write needs rootfs-image, module-image, bootstrap-artifact or rpi-ab-slot");
  }
  await atomicOutput(out, (tmp) => writeArtifact(options, createWriteStream(tmp)));
  return EXIT.ok;
}

async function openFile(path: string, keys: KeyInput[]) {
  try {
    await stat(path);
  } catch (err) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${path}: cannot open (${(err as Error).message})`, { cause: err });
  }
  // pulled into reused buffers: validating a 1 GiB image allocates nothing per chunk
  return openArtifact(await fileSource(path), { verifyKeys: keys });
}

async function cmdRead(p: Parsed, validateOnly: boolean): Promise<number> {
  const file = p.positional[1];
  if (file === undefined) throw new UsageError(`${validateOnly ? "validate" : "read"} needs a FILE`);
  const keys = await Promise.all(many(p, "--key").map(readKey));
  const artifact = await openFile(file, keys);
  const summary = await artifact.done();
  const h = artifact.header;
  if (validateOnly) {
    process.stdout.write(`Artifact file '${file}' validated successfully${h.signature.status === "verified" ? " (signature verified)" : ""}\n`);
    return EXIT.ok;
  }
  if (p.flags.has("--json")) {
    const json = {
      name: h.name, format: h.format, version: h.version, group: h.group ?? null, deviceTypes: h.deviceTypes,
      dependsArtifactNames: h.dependsArtifactNames, dependsGroups: h.dependsGroups, signature: h.signature, compression: h.compression,
      scripts: h.scripts.map((s) => ({ name: s.name, mode: s.mode, size: s.content.length })),
      payloads: h.payloads.map((pl, i) => ({
        index: pl.index, type: pl.type, provides: pl.provides, depends: pl.depends, clearsProvides: pl.clearsProvides ?? null,
        metaData: pl.metaData, files: summary.payloads[i]?.files ?? [],
      })),
      augment: h.augment ?? null,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return EXIT.ok;
  }
  const sig = { verified: "signed and verified correctly", unverified: "signed but no key for verification provided", unsigned: "no signature" }[h.signature.status];
  const lines = [
    "Mender artifact:",
    `  Name: ${h.name}`,
    `  Format: ${h.format}`,
    `  Version: ${h.version}`,
    `  Signature: ${sig}`,
    `  Compatible devices: [${h.deviceTypes.join(" ")}]`,
    `  Provides group: ${h.group ?? ""}`,
    `  Depends on one of artifact(s): [${h.dependsArtifactNames.join(", ")}]`,
    `  Depends on one of group(s): [${h.dependsGroups.join(", ")}]`,
    "  State scripts:",
    ...h.scripts.map((s) => `    ${s.name}`),
    "",
    "Updates:",
  ];
  h.payloads.forEach((pl, i) => {
    lines.push(`    ${pl.index}:`, `    Type:   ${pl.type ?? "Empty type"}`);
    const prov = Object.entries(pl.provides);
    lines.push(prov.length === 0 ? "    Provides: Nothing" : "    Provides:", ...prov.map(([k, v]) => `\t${k}: ${v}`));
    const dep = Object.entries(pl.depends);
    lines.push(dep.length === 0 ? "    Depends: Nothing" : "    Depends:", ...dep.map(([k, v]) => `\t${k}: ${Array.isArray(v) ? JSON.stringify(v) : v}`));
    if (pl.clearsProvides !== undefined) lines.push(`    Clears Provides: [${pl.clearsProvides.map((c) => JSON.stringify(c)).join(", ")}]`);
    lines.push(pl.metaData === null ? "    Metadata: Nothing" : `    Metadata:\n${JSON.stringify(pl.metaData, null, 2).replace(/^/gm, "\t")}`);
    const files = summary.payloads[i]?.files ?? [];
    lines.push(files.length === 0 ? "    Files: None" : "    Files:");
    for (const f of files) lines.push(`      name:     ${f.name}`, `      size:     ${f.size}`, `      checksum: ${f.sha256}`);
  });
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

async function cmdSign(p: Parsed): Promise<number> {
  const file = p.positional[1];
  if (file === undefined) throw new UsageError("sign needs a FILE");
  const key = await readKey(one(p, "--key", true));
  const out = one(p, "--output-path") ?? file;
  await atomicOutput(out, (tmp) => signArtifact(createReadStream(file, { highWaterMark: 1024 * 1024 }), key, createWriteStream(tmp)));
  return EXIT.ok;
}

async function cmdImportRpi(p: Parsed): Promise<number> {
  const file = p.positional[1];
  if (file === undefined) throw new UsageError("import-rpi needs the update.tar.zst path");
  const out = one(p, "--output-path", true);
  const keyPath = one(p, "--key");
  await stat(file).catch((err: Error) => {
    throw new ArtifactError("OTA_ERR_ARTIFACT_IO", `${file}: cannot open (${err.message})`);
  });
  const update = await readRpiUpdate(createReadStream(file, { highWaterMark: 1024 * 1024 }));
  const common = commonWrite(p) as Omit<WriteOptions, "kind"> & { metaDataPath?: string };
  await loadMeta(common);
  if (keyPath !== undefined) common.signingKey = await readKey(keyPath);
  if (common.deviceTypes.length === 0 && update.contents?.artefact.device_type !== undefined) common.deviceTypes = [update.contents.artefact.device_type];
  async function* files(): AsyncGenerator<WriterFile> {
    for await (const f of update.files()) {
      if (f.payloadType !== "image-sparse") {
        throw new ArtifactError("OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID", `update.tar.zst: payload ${f.name} of type ${f.payloadType} cannot go into an rpi-ab-slot artifact`, {
          details: { member: f.name },
        });
      }
      yield { name: f.name, size: f.size, mode: 0o644, open: () => f.stream };
    }
  }
  await atomicOutput(out, async (tmp) => {
    await writeArtifact(rpiAbSlotWriteOptions({ ...common, files: files() }), createWriteStream(tmp));
    await update.done();
  });
  return EXIT.ok;
}

async function cmdSparseEncode(p: Parsed): Promise<number> {
  const file = p.positional[1];
  if (file === undefined) throw new UsageError("sparse-encode needs an IMAGE");
  const out = one(p, "--output-path", true);
  const bs = one(p, "--block-size");
  const enc = await encodeSparseFile(file, { blockSize: bs === undefined ? 4096 : Number(bs), dontCareZeros: !p.flags.has("--no-dont-care") });
  const { pipeline } = await import("node:stream/promises");
  await atomicOutput(out, (tmp) => pipeline(enc, createWriteStream(tmp)));
  return EXIT.ok;
}

/** Runs `ota-artifact` with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`OTA_ERR_USAGE: ${(err as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const cmd = parsed.positional[0];
  if (parsed.flags.has("--help") || cmd === "help" || cmd === undefined) {
    (cmd === undefined && !parsed.flags.has("--help") ? process.stderr : process.stdout).write(HELP);
    return cmd === undefined && !parsed.flags.has("--help") ? EXIT.usage : EXIT.ok;
  }
  try {
    switch (cmd) {
      case "write": return await cmdWrite(parsed);
      case "read": return await cmdRead(parsed, false);
      case "validate": return await cmdRead(parsed, true);
      case "sign": return await cmdSign(parsed);
      case "import-rpi": return await cmdImportRpi(parsed);
      case "sparse-encode": return await cmdSparseEncode(parsed);
      default: throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`OTA_ERR_USAGE: ${err.message} (see ota-artifact --help)\n`);
      return EXIT.usage;
    }
    if (isArtifactError(err)) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      const failure = err.code === "OTA_ERR_ARTIFACT_IO" || err.code === "OTA_ERR_ARTIFACT_WRITE_INVALID" || err.code === "OTA_ERR_ARTIFACT_KEY_INVALID"
        || (err.code === "OTA_ERR_ARTIFACT_COMPRESSION_UNSUPPORTED" && cmd === "write");
      if (err.code === "OTA_ERR_ARTIFACT_WRITE_INVALID") return EXIT.usage;
      return failure ? EXIT.failure : EXIT.invalid;
    }
    process.stderr.write(`OTA_ERR_ARTIFACT_IO: ${(err as Error).message}\n`);
    return EXIT.failure;
  }
}
