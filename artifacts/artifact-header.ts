// Public types of a parsed Mender Artifact v3: header, payload headers, reader options and the completion summary.
import type { KeyObject } from "node:crypto";
import type { Readable } from "node:stream";

/** Compression of header.tar / data/NNNN.tar, keyed on the member-name suffix (none, .gz, .xz, .zst). */
export type Compression = "none" | "gzip" | "xz" | "zstd";

/** A verify or signing key: PEM text, PEM/DER bytes, or a node:crypto KeyObject. */
export type KeyInput = string | Buffer | KeyObject;

/** One payload file as it streams out of the artifact (structurally core's `PayloadFile`). */
export interface ArtifactFile {
  /** Name inside the payload ("rootfs.ext4", "boot", "system"). */
  name: string;
  /** Size declared by the data tar header. */
  size: number;
  /** The file's bytes; hashed as they flow, errors with OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH before its end if bad. */
  stream: Readable;
  /**
   * The same bytes pulled into the caller's buffer (use this or `stream`, not both): resolves 0 after the last byte,
   * and rejects instead when the checksum does not match. No per-chunk allocation: the fast path for images.
   */
  read?(buffer: Buffer, offset: number, length: number): Promise<number>;
}

/** An artifact state script from header.tar `scripts/`. */
export interface ArtifactScript {
  name: string;
  /** File mode from the tar header (e.g. 0o755). */
  mode: number;
  /** Whole content, bounded by `limits.maxScriptBytes`. */
  content: Buffer;
}

/** Parsed `headers/NNNN/type-info` and `meta-data` of one payload. */
export interface PayloadHeader {
  index: number;
  /** Payload type: "rootfs-image", an update module name, or null for an empty (bootstrap) payload. */
  type: string | null;
  /** type-info `artifact_provides` (string values only). */
  provides: Record<string, string>;
  /** type-info `artifact_depends` (string or string-array values). */
  depends: Record<string, string | string[]>;
  /** type-info `clears_artifact_provides`, undefined when the field is absent (which means "clear all"). */
  clearsProvides: string[] | undefined;
  /** Parsed meta-data object, or null when absent or empty. */
  metaData: Record<string, unknown> | null;
  /** The raw type-info object as parsed. */
  typeInfo: Record<string, unknown>;
}

/** What verified the signature. */
export interface SignatureStatus {
  /** "verified": a configured key verified it; "unverified": signed but no keys given; "unsigned": no manifest.sig. */
  status: "verified" | "unverified" | "unsigned";
  /** Index into `verifyKeys` of the key that verified it. */
  keyIndex?: number;
  algorithm?: "rsa" | "ecdsa" | "ed25519";
}

/** A manifest line: sha256 (lowercase hex) of a member or payload file path. */
export interface ManifestEntry {
  path: string;
  sha256: string;
}

/** The augmented part of an artifact (delta style): exposed for later delta work, never trusted by the signature. */
export interface AugmentedHeader {
  manifest: ManifestEntry[];
  headerInfo: Record<string, unknown>;
  payloads: PayloadHeader[];
}

/** The parsed and verified header: everything before the first payload byte. */
export interface ArtifactHeader {
  format: string;
  version: number;
  name: string;
  group: string | undefined;
  /** header-info artifact_depends.device_type. */
  deviceTypes: string[];
  /** header-info artifact_depends.artifact_name ("depends on one of"), empty when absent. */
  dependsArtifactNames: string[];
  /** header-info artifact_depends.artifact_group, empty when absent. */
  dependsGroups: string[];
  /** One per payload, in index order. */
  payloads: PayloadHeader[];
  scripts: ArtifactScript[];
  /** The raw header-info object. */
  headerInfo: Record<string, unknown>;
  augment: AugmentedHeader | undefined;
  signature: SignatureStatus;
  compression: Compression;
  /** The manifest lines in file order. */
  manifest: ManifestEntry[];
}

/** Size limits; every buffer the reader holds is bounded by one of them. */
export interface ReadLimits {
  /** Max decompressed size of header.tar (and of its compressed member). Default 16 MiB. */
  maxHeaderBytes: number;
  /** Max size of one state script. Default 1 MiB. */
  maxScriptBytes: number;
  /** Max size of the manifest member. Default 1 MiB. */
  maxManifestBytes: number;
  /** Max size of a JSON header member (header-info, type-info, meta-data). Default 1 MiB. */
  maxJsonBytes: number;
  /** Max size a payload file may declare. Default unlimited (Infinity). */
  maxPayloadFileBytes: number;
  /** Max number of payload files. Default 1024. */
  maxPayloadFiles: number;
}

/** The installed artifact, for depends checks. */
export interface InstalledArtifact {
  name?: string;
  group?: string;
  /** Current provides (type-info depends are matched against these). */
  provides?: Record<string, string>;
}

/** Options of `openArtifact`. */
export interface ReadOptions {
  /** Verify keys, tried in order (key rotation). When non-empty, a signature is required. */
  verifyKeys?: KeyInput[];
  /** Refuse unsigned artifacts even without keys (then a signature is reported "unverified"). Default: keys given. */
  requireSignature?: boolean;
  /** This device's type; when set, it must be in header-info device_type. */
  deviceType?: string;
  /** The installed artifact; when set, header-info and type-info depends are checked against it. */
  installed?: InstalledArtifact;
  limits?: Partial<ReadLimits>;
  /** Decompressor choice: "auto" uses xz/zstd child processes when on PATH, "builtin" forces the JS/WASM ones. */
  decompressors?: "auto" | "builtin";
  /**
   * Run a young-generation GC after this many payload bytes so dead stream buffers are freed promptly (keeps peak
   * RSS ~20 MiB lower; see reader/gc-pacer.ts). Default 8 MiB; 0 disables.
   */
  gcPaceBytes?: number;
  /**
   * An uncompressed payload file of at least this many bytes, read through a ByteSource, is hashed on a worker thread
   * (see reader/parallel-sha256.ts): SHA-256 then overlaps the reads and writes. Default 64 MiB with 4 or more CPUs,
   * otherwise 0 (disabled: on 2 cores the worker measured slower than hashing inline).
   */
  parallelHashMinBytes?: number;
}

/** One payload's files, after the header was verified. */
export interface ArtifactPayload {
  index: number;
  type: string | null;
  header: PayloadHeader;
  /** Files in archive order; single-use. An unconsumed file is drained (and still checked) when the next is asked. */
  files: AsyncIterable<ArtifactFile>;
}

/** What a complete, fully verified read saw. */
export interface ArtifactSummary {
  name: string;
  payloads: Array<{ index: number; type: string | null; files: Array<{ name: string; size: number; sha256: string }> }>;
  /** Bytes of the outer .mender read. */
  bytesRead: number;
}
