// openArtifact: the streaming Mender Artifact v3 reader — header verified first, then payload files hashed as they stream.
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Readable } from "node:stream";
import type {
  ArtifactFile,
  ArtifactHeader,
  ArtifactPayload,
  ArtifactSummary,
  AugmentedHeader,
  Compression,
  ManifestEntry,
  ReadLimits,
  ReadOptions,
  SignatureStatus,
} from "../artifact-header.js";
import { compressionFromName, decompress, decompressSource, type DecompressorChoice } from "../compression/decompress.js";
import { verifyManifest } from "../crypto/manifest-signature.js";
import { ArtifactError } from "../errors.js";
import { ByteReader } from "../tar/byte-reader.js";
import { isByteSource, type ByteSource } from "../tar/byte-source.js";
import { PAYLOAD_FILE_NAME, assertSafeName } from "../tar/safe-name.js";
import { TarReader, type TarHeader } from "../tar/tar-reader.js";
import { checkCompatibility } from "./depends-check.js";
import { parseHeaderTar, parseJson } from "./header-parser.js";
import { parseManifest } from "./manifest.js";
import { GcPacer } from "./gc-pacer.js";
import { ParallelSha256 } from "./parallel-sha256.js";
import { MemberBody } from "./member-body.js";

export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxHeaderBytes: 16 * 1024 * 1024,
  maxScriptBytes: 1024 * 1024,
  maxManifestBytes: 1024 * 1024,
  maxJsonBytes: 1024 * 1024,
  maxPayloadFileBytes: Number.POSITIVE_INFINITY,
  maxPayloadFiles: 1024,
};

/** Zero padding tolerated after an inner tar's end marker (record padding of other tar writers). */
const INNER_TRAILER = 1024 * 1024;

/** A verified artifact header plus the means to stream its payloads. */
export interface OpenedArtifact {
  /** Parsed, checksum- and (when configured) signature-verified header; depends already checked. */
  readonly header: ArtifactHeader;
  /**
   * The payloads in order, each with its files. Single pass over the input. Breaking out of the loop does not abort:
   * call `done()` to drain and verify the rest, or `abort()` to stop.
   */
  payloads(): AsyncIterable<ArtifactPayload>;
  /**
   * Resolves after every payload byte was read and checked, every manifest entry seen exactly once and the archive
   * ended cleanly; drains (and checks) whatever the caller did not consume. Rejects with the first ArtifactError.
   */
  done(): Promise<ArtifactSummary>;
  /** Stops reading and destroys the input. */
  abort(reason?: Error): void;
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function orderError(found: string, expected: string): ArtifactError {
  return new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `artifact: expected ${expected}, found ${JSON.stringify(found)}`, {
    details: { member: found, expected },
  });
}

/**
 * Payload files from this size on are hashed on a worker thread when read uncompressed through a ByteSource — only
 * with 4 or more CPUs. Measured on a 2-core machine the worker was slower (1.0–1.3 s vs 0.7–0.95 s per GiB, and
 * installs slower still): the install's I/O threads leave no idle core, so the handoffs only add cost. A Pi 4/5
 * has 4 cores, and a Pi 4 (no ARMv8 crypto extensions) hashes several times slower than it reads.
 */
const DEFAULT_PARALLEL_HASH_MIN_BYTES = availableParallelism() >= 4 ? 64 * 1024 * 1024 : 0;

/** A worker-thread hash, or undefined (then the caller hashes inline) when no worker can be started. */
function startParallelHash(): ParallelSha256 | undefined {
  try {
    return new ParallelSha256();
  } catch {
    return undefined;
  }
}

/** Destroys a Readable input, closes a ByteSource one. */
function stopInput(input: Readable | ByteSource): void {
  if (isByteSource(input)) input.close?.().catch(() => undefined);
  else input.destroy();
}

/** Yields the chunks of `it` and fails once more than `limit` bytes came out (decompressed-size bound). */
async function* bounded(source: AsyncIterable<Buffer>, limit: number, member: string): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    if (n > limit) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", `${member}: decompresses to more than ${limit} bytes`, { details: { member, limit } });
    }
    yield chunk;
  }
}

/**
 * Opens a Mender Artifact v3 read from `input` (the whole .mender byte stream). Resolves once `version`, `manifest`,
 * `manifest.sig`, the header (and augment) were read and verified — and the device type and depends matched — so no
 * caller can receive a payload byte before those checks passed. Errors are ArtifactErrors; errors of `input` itself
 * propagate unchanged. `input` is a Readable, or a ByteSource (a file or device read into reused buffers: payload
 * files then offer `read` into the caller's buffers, and an uncompressed image streams without a copy).
 */
export async function openArtifact(input: Readable | ByteSource, options: ReadOptions = {}): Promise<OpenedArtifact> {
  const limits: ReadLimits = { ...DEFAULT_READ_LIMITS, ...options.limits };
  const choice: DecompressorChoice = options.decompressors ?? "auto";
  const keys = options.verifyKeys ?? [];
  const outer = new ByteReader(isByteSource(input) ? input : (input[Symbol.asyncIterator]() as AsyncIterator<Buffer>));
  const tar = new TarReader(outer, { label: "artifact", maxTrailer: 64 * 1024 });
  const fail = (err: unknown): never => {
    stopInput(input);
    throw err;
  };

  try {
    const expectFile = async (h: TarHeader | null, expected: string): Promise<TarHeader> => {
      if (h === null) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_TRUNCATED", `artifact: ended before ${expected}`, { details: { member: expected } });
      }
      assertSafeName(h.name, "artifact");
      if (h.type !== "file") throw orderError(h.name, `${expected} (a regular file)`);
      return h;
    };

    // --- version ---
    let h = await expectFile(await tar.next(), "version");
    if (h.name !== "version") throw orderError(h.name, "version as the first member");
    const versionBytes = await tar.readAll(4096, "version");
    const versionJson = parseJson(versionBytes, "version");
    if (typeof versionJson !== "object" || versionJson === null || Array.isArray(versionJson)) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_VERSION_INVALID", "version: must be a JSON object", { details: { member: "version" } });
    }
    const v = Object.fromEntries(Object.entries(versionJson).map(([k, x]) => [k.toLowerCase(), x]));
    const extra = Object.keys(v).filter((k) => k !== "format" && k !== "version");
    if (extra.length > 0 || typeof v.format !== "string" || v.format === "" || v.version !== 3) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_VERSION_INVALID", `version: expected {"format":"mender","version":3}, got ${versionBytes.toString("utf8").slice(0, 100)}`, {
        details: { member: "version" },
      });
    }

    // --- manifest ---
    h = await expectFile(await tar.next(), "manifest");
    if (h.name !== "manifest") throw orderError(h.name, "manifest");
    const manifestBytes = await tar.readAll(limits.maxManifestBytes, "manifest");
    const manifest = parseManifest(manifestBytes, "manifest");
    const lookup = new Map<string, ManifestEntry>(manifest.map((e) => [e.path, e]));
    const checkAgainst = (map: Map<string, ManifestEntry>, path: string, actual: string, member: string, manifestName = "manifest"): void => {
      const entry = map.get(path);
      if (entry === undefined) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING", `${member}: no line for ${path} in the ${manifestName}`, { details: { member } });
      }
      if (entry.sha256 !== actual) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", `${member}: sha256 ${actual} does not match the ${manifestName} (${entry.sha256})`, {
          details: { member, expected: entry.sha256, actual },
        });
      }
    };

    // --- manifest.sig ---
    let signature: SignatureStatus = { status: "unsigned" };
    h = await expectFile(await tar.next(), "header.tar");
    if (h.name === "manifest.sig") {
      const sig = await tar.readAll(16 * 1024, "manifest.sig");
      signature = keys.length > 0 ? verifyManifest(manifestBytes, sig, keys) : { status: "unverified" };
      h = await expectFile(await tar.next(), "header.tar");
    } else if (keys.length > 0 || options.requireSignature === true) {
      throw new ArtifactError("OTA_ERR_ARTIFACT_SIGNATURE_MISSING", "artifact: a signed artifact is required but it carries no manifest.sig", {
        details: { member: "manifest.sig" },
      });
    }
    // The signature covers the manifest; the version member is trusted only through its manifest line.
    checkAgainst(lookup, "version", sha256(versionBytes), "version");

    // --- manifest-augment (optional, never signed) ---
    let augmentManifest: ManifestEntry[] | undefined;
    if (h.name === "manifest-augment") {
      augmentManifest = parseManifest(await tar.readAll(limits.maxManifestBytes, "manifest-augment"), "manifest-augment");
      h = await expectFile(await tar.next(), "header.tar");
    }
    const augmentLookup = new Map<string, ManifestEntry>((augmentManifest ?? []).map((e) => [e.path, e]));

    // --- header.tar[.ext] ---
    const compression = compressionFromName(h.name, "header.tar");
    if (compression === undefined) {
      if (h.name.startsWith("header.tar")) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_COMPRESSION_UNSUPPORTED", `${h.name}: unknown compression suffix`, { details: { member: h.name } });
      }
      if (["version", "manifest", "manifest.sig", "manifest-augment"].includes(h.name)) throw orderError(h.name, "header.tar (member repeated or out of order)");
      throw orderError(h.name, "header.tar[.gz|.xz|.zst]");
    }
    const readHeaderMember = async (member: string, map: Map<string, ManifestEntry>, manifestName: string, augment: boolean) => {
      const raw = await tar.readAll(limits.maxHeaderBytes, member);
      // Checked before decompressing: nothing of the header is parsed until its bytes are known to be the signed ones.
      checkAgainst(map, member.replace(/\.tar(\.gz|\.xz|\.zst)?$/, ".tar$1"), sha256(raw), member, manifestName);
      const plain = await decompress(compression, Readable.from([raw]), member, choice);
      const bytes = new ByteReader(bounded(plain, limits.maxHeaderBytes, member));
      const inner = new TarReader(bytes, { label: member, maxTrailer: INNER_TRAILER, trailerCode: "OTA_ERR_ARTIFACT_DECOMPRESSION_BOMB" });
      try {
        return await parseHeaderTar(inner, member, limits, augment);
      } finally {
        plain.destroy();
      }
    };
    const parsed = await readHeaderMember(h.name, lookup, "manifest", false);

    // --- header-augment.tar[.ext] (optional) ---
    let pending = await tar.next();
    let augment: AugmentedHeader | undefined;
    if (pending !== null && pending.name.startsWith("header-augment")) {
      assertSafeName(pending.name, "artifact");
      if (compressionFromName(pending.name, "header-augment.tar") !== compression) {
        throw orderError(pending.name, `header-augment.tar with the same compression as ${h.name}`);
      }
      if (augmentManifest === undefined) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING", `${pending.name}: present without manifest-augment`, { details: { member: pending.name } });
      }
      const aug = await readHeaderMember(pending.name, augmentLookup, "manifest-augment", true);
      augment = { manifest: augmentManifest, headerInfo: aug.headerInfo, payloads: aug.payloads };
      pending = await tar.next();
    } else if (augmentManifest !== undefined) {
      throw orderError(pending?.name ?? "end of archive", "header-augment.tar after manifest-augment");
    }

    const header: ArtifactHeader = {
      format: v.format,
      version: 3,
      name: parsed.name,
      group: parsed.group,
      deviceTypes: parsed.deviceTypes,
      dependsArtifactNames: parsed.dependsArtifactNames,
      dependsGroups: parsed.dependsGroups,
      payloads: parsed.payloads,
      scripts: parsed.scripts,
      headerInfo: parsed.headerInfo,
      augment,
      signature,
      compression,
      manifest,
    };
    checkCompatibility(header, options.deviceType, options.installed);

    // Manifest lines that can never be matched are refused now, before any payload byte flows.
    const headerPath = `header.tar${compression === "none" ? "" : { gzip: ".gz", xz: ".xz", zstd: ".zst" }[compression]}`;
    for (const e of manifest) {
      const m = /^data\/(\d{4})\/(.+)$/.exec(e.path);
      if (m !== null && !PAYLOAD_FILE_NAME.test(m[2]!)) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE", `manifest: payload file name ${JSON.stringify(m[2]!.slice(0, 100))} is not flat [A-Za-z0-9_.,-]+`, {
          details: { member: e.path.slice(0, 200) },
        });
      }
      const ok = e.path === "version" || e.path === headerPath || (m !== null && Number(m[1]) < header.payloads.length && PAYLOAD_FILE_NAME.test(m[2]!));
      if (!ok) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_ENTRY_UNUSED", `manifest: ${e.path} cannot be part of this artifact`, { details: { member: e.path } });
      }
    }

    return new ArtifactStream(input, tar, header, lookup, augmentLookup, pending, limits, choice, options.gcPaceBytes, options.parallelHashMinBytes ?? DEFAULT_PARALLEL_HASH_MIN_BYTES);
  } catch (err) {
    return fail(err);
  }
}

/** The payload half of an opened artifact: a single pass over the remaining outer members. */
class ArtifactStream implements OpenedArtifact {
  private iterator: AsyncGenerator<ArtifactPayload> | undefined;
  private result: ArtifactSummary | undefined;
  private aborted: Error | undefined;
  /** The error that ended the payload iteration; done() reports it again. */
  private failure: unknown;
  private readonly seen = new Set<string>();
  private readonly pacer: GcPacer;

  constructor(
    private readonly input: Readable | ByteSource,
    private readonly tar: TarReader,
    readonly header: ArtifactHeader,
    private readonly manifest: Map<string, ManifestEntry>,
    private readonly augmentManifest: Map<string, ManifestEntry>,
    private pending: TarHeader | null,
    private readonly limits: ReadLimits,
    private readonly choice: DecompressorChoice,
    gcPaceBytes: number | undefined,
    private readonly parallelHashMinBytes: number,
  ) {
    this.pacer = new GcPacer(gcPaceBytes);
  }

  abort(reason?: Error): void {
    this.aborted = reason ?? new ArtifactError("OTA_ERR_ARTIFACT_ABORTED", `artifact ${this.header.name}: reading was aborted`);
    stopInput(this.input);
  }

  private shared(): AsyncGenerator<ArtifactPayload> {
    this.iterator ??= this.run();
    return this.iterator;
  }

  payloads(): AsyncIterable<ArtifactPayload> {
    const it = this.shared();
    // return() is not forwarded: leaving the loop early keeps the stream so done() can drain and verify the rest.
    return { [Symbol.asyncIterator]: () => ({ next: () => it.next(), return: async () => ({ done: true, value: undefined }) }) };
  }

  async done(): Promise<ArtifactSummary> {
    const it = this.shared();
    for (;;) {
      const step = await it.next();
      if (step.done === true) break;
      for await (const _file of step.value.files) {
        // draining: the files iterator checks each skipped file's checksum
      }
    }
    if (this.result === undefined) {
      throw this.failure ?? this.aborted ?? new ArtifactError("OTA_ERR_ARTIFACT_ABORTED", `artifact ${this.header.name}: the payload iteration ended early`);
    }
    return this.result;
  }

  private check(): void {
    if (this.aborted !== undefined) throw this.aborted;
  }

  private async *run(): AsyncGenerator<ArtifactPayload> {
    const summary: ArtifactSummary = { name: this.header.name, payloads: [], bytesRead: 0 };
    try {
      const count = this.header.payloads.length;
      for (let index = 0; index < count; index++) {
        this.check();
        const h = this.pending;
        const payload = this.header.payloads[index]!;
        if (h === null) {
          // A bootstrap (empty) payload may omit its data tar entirely.
          if (payload.type === null) {
            summary.payloads.push({ index, type: null, files: [] });
            continue;
          }
          throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `artifact: data/${String(index).padStart(4, "0")}.tar is missing`, {
            details: { member: `data/${String(index).padStart(4, "0")}.tar` },
          });
        }
        assertSafeName(h.name, "artifact");
        const m = /^data\/(\d{4})\.tar(\.gz|\.xz|\.zst)?$/.exec(h.name);
        if (m === null || h.type !== "file") throw orderError(h.name, `data/${String(index).padStart(4, "0")}.tar[.gz|.xz|.zst]`);
        if (Number(m[1]) !== index) throw orderError(h.name, `data/${String(index).padStart(4, "0")}.tar (payloads in index order)`);
        const kind = compressionFromName(h.name, `data/${m[1]}.tar`) as Compression;
        const entry = { index, type: payload.type, files: [] as Array<{ name: string; size: number; sha256: string }> };
        summary.payloads.push(entry);
        const files = this.files(h.name, index, kind, entry.files);
        // As with payloads(), leaving the files loop early must not end the generator: the drain below finishes it.
        const view: AsyncIterable<ArtifactFile> = {
          [Symbol.asyncIterator]: () => ({ next: () => files.next(), return: async () => ({ done: true, value: undefined }) }),
        };
        yield { index, type: payload.type, header: payload, files: view };
        // Whatever the caller left unread is drained and checked before the next member.
        for await (const _f of files) {
          // drain
        }
        this.pending = await this.tar.next();
      }
      if (this.pending !== null) {
        throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `artifact: unexpected member ${JSON.stringify(this.pending.name)} after the last payload`, {
          details: { member: this.pending.name },
        });
      }
      for (const path of [...this.manifest.keys(), ...this.augmentManifest.keys()]) {
        if (path.startsWith("data/") && !this.seen.has(path)) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_ENTRY_UNUSED", `manifest: ${path} is listed but not part of the artifact`, { details: { member: path } });
        }
      }
      summary.bytesRead = this.tar.end?.endOffset ?? 0;
      this.result = summary;
    } catch (err) {
      stopInput(this.input);
      this.failure = this.aborted ?? err;
      throw this.failure;
    }
  }

  private filesStarted = new Set<number>();

  private async *files(member: string, index: number, kind: Compression, out: Array<{ name: string; size: number; sha256: string }>): AsyncGenerator<ArtifactFile> {
    if (this.filesStarted.has(index)) return;
    this.filesStarted.add(index);
    const outerBody = new MemberBody(this.tar);
    // Over a ByteSource the data member is pulled, not streamed: reused buffers, and no copy when uncompressed.
    const plain = this.tar.reusesBuffers ? await decompressSource(kind, outerBody, member, this.choice) : await decompress(kind, outerBody.stream, member, this.choice);
    const pulledPlain = isByteSource(plain);
    const inner = new TarReader(new ByteReader(isByteSource(plain) ? plain : (plain[Symbol.asyncIterator]() as AsyncIterator<Buffer>)), {
      label: member,
      maxTrailer: INNER_TRAILER,
      trailerCode: "OTA_ERR_ARTIFACT_DECOMPRESSION_BOMB",
    });
    const prefix = `data/${String(index).padStart(4, "0")}/`;
    try {
      for (;;) {
        this.check();
        const fh = await inner.next();
        if (fh === null) break;
        assertSafeName(fh.name, member);
        if (fh.type !== "file") {
          throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", `${member}/${fh.name}: payload entries must be regular files`, { details: { member: `${member}/${fh.name}` } });
        }
        if (!PAYLOAD_FILE_NAME.test(fh.name)) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE", `${member}: payload file name ${JSON.stringify(fh.name)} is not flat [A-Za-z0-9_.,-]+`, {
            details: { member: `${member}/${fh.name}` },
          });
        }
        const path = prefix + fh.name;
        if (this.seen.has(path)) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_DUPLICATE_FILE", `${path}: appears twice in ${member}`, { details: { member: path } });
        }
        const entry = this.manifest.get(path) ?? this.augmentManifest.get(path);
        if (entry === undefined) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING", `${path}: payload file has no manifest line`, { details: { member: path } });
        }
        if (out.length >= this.limits.maxPayloadFiles) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", `${member}: more than ${this.limits.maxPayloadFiles} payload files`, { details: { member } });
        }
        if (fh.size > this.limits.maxPayloadFileBytes) {
          throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", `${path}: ${fh.size} bytes exceed the limit of ${this.limits.maxPayloadFileBytes}`, {
            details: { member: path, limit: this.limits.maxPayloadFileBytes },
          });
        }
        this.seen.add(path);
        const parallel = pulledPlain && this.parallelHashMinBytes > 0 && fh.size >= this.parallelHashMinBytes ? startParallelHash() : undefined;
        const hash: { update(chunk: Buffer): unknown; digest(encoding: "hex"): string } = parallel ?? createHash("sha256");
        let verdict: Error | undefined;
        let checked = false;
        try {
          const verify = (): Error | undefined => {
            checked = true;
            const actual = hash.digest("hex");
            if (actual === entry.sha256) {
              out.push({ name: fh.name, size: fh.size, sha256: actual });
              return undefined;
            }
            verdict = new ArtifactError("OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH", `${path}: sha256 ${actual} does not match the manifest (${entry.sha256})`, {
              details: { member: path, expected: entry.sha256, actual },
            });
            return verdict;
          };
          const observe = (c: Buffer): void => {
            hash.update(c);
            // pulled without decompression, no chunk is ever allocated: nothing for the pacer to collect
            if (!pulledPlain) this.pacer.add(c.length);
          };
          const body = new MemberBody(inner, {
            onData: observe,
            onEnd: verify,
            mapError: (e) => this.aborted ?? e,
          });
          yield {
            name: fh.name,
            size: fh.size,
            get stream() {
              return body.stream;
            },
            read: (buffer, offset, length) => body.read(buffer, offset, length),
          };
          await body.settle();
          if (!body.complete) {
            body.abandon();
            await inner.skipBody(observe);
          }
          if (!checked) verify();
          if (verdict !== undefined) throw verdict;
        } finally {
          if (!checked) parallel?.dispose();
        }
      }
    } finally {
      await outerBody.settle();
      if (!isByteSource(plain)) plain.destroy();
    }
  }
}
