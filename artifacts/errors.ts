// ArtifactError and the catalogue of artifact-format error codes (the leaf library cannot import core's OtaError).

/**
 * Every code the artifacts library raises, with a one-line meaning. Codes are stable: callers branch on them, never
 * on message text. core/errors/README.md documents each one for operators (a test keeps both in step).
 */
export const ARTIFACT_ERROR_CODES = {
  OTA_ERR_ARTIFACT_TRUNCATED: "the artifact ended before a member or the end-of-archive marker was complete",
  OTA_ERR_ARTIFACT_TAR_INVALID: "a tar header (outer or inner) is malformed: bad checksum, size, type or trailer",
  OTA_ERR_ARTIFACT_MEMBER_ORDER: "a member is unknown, repeated or out of the order the format requires",
  OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE: "a member or payload file name is absolute, contains '..' or illegal characters",
  OTA_ERR_ARTIFACT_VERSION_INVALID: "the version member is not {\"format\":\"mender\",\"version\":3}",
  OTA_ERR_ARTIFACT_MANIFEST_INVALID: "the manifest has a malformed line, a duplicate entry or no final newline",
  OTA_ERR_ARTIFACT_MANIFEST_ENTRY_MISSING: "a member or payload file has no line in the manifest",
  OTA_ERR_ARTIFACT_MANIFEST_ENTRY_UNUSED: "the manifest lists a file the artifact does not contain",
  OTA_ERR_ARTIFACT_CHECKSUM_MISMATCH: "a member or payload file does not match its manifest checksum",
  OTA_ERR_ARTIFACT_DUPLICATE_FILE: "a payload file appears twice in the artifact",
  OTA_ERR_ARTIFACT_SIGNATURE_MISSING: "verify keys are configured but the artifact carries no manifest.sig",
  OTA_ERR_ARTIFACT_SIGNATURE_INVALID: "manifest.sig is malformed or no configured key verifies it",
  OTA_ERR_ARTIFACT_KEY_INVALID: "a signing or verify key cannot be parsed or has an unsupported type or curve",
  OTA_ERR_ARTIFACT_TOO_LARGE: "a header, script, metadata member or payload exceeds its configured size limit",
  OTA_ERR_ARTIFACT_JSON_INVALID: "a JSON member (version, header-info, type-info, meta-data) is not valid JSON",
  OTA_ERR_ARTIFACT_HEADER_INVALID: "header-info, type-info or meta-data has a wrong structure, type or unknown key",
  OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH: "the artifact is not compatible with this device type",
  OTA_ERR_ARTIFACT_DEPENDS_UNSATISFIED: "the artifact depends on an installed artifact, group or provide this device lacks",
  OTA_ERR_ARTIFACT_COMPRESSION_UNSUPPORTED: "a member uses an unknown compression suffix, or a needed compressor is missing",
  OTA_ERR_ARTIFACT_DECOMPRESSION_FAILED: "a compressed member is corrupt and could not be decompressed",
  OTA_ERR_ARTIFACT_DECOMPRESSION_BOMB: "a compressed member expands beyond what its tar headers declare",
  OTA_ERR_ARTIFACT_SPARSE_INVALID: "an Android sparse image has a bad header, chunk type or chunk size",
  OTA_ERR_ARTIFACT_SPARSE_CRC_MISMATCH: "an Android sparse image's CRC32 chunk does not match the data before it",
  OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID: "an rpi-image-gen update.tar.zst has an unexpected member or a bad _contents_.yaml",
  OTA_ERR_ARTIFACT_WRITE_INVALID: "the options given to the artifact writer are invalid (name, device type, files)",
  OTA_ERR_ARTIFACT_IO: "reading an input file or writing the output failed",
  OTA_ERR_ARTIFACT_ABORTED: "the caller stopped reading the artifact before it was complete",
} as const satisfies Record<`OTA_ERR_ARTIFACT_${string}`, string>;

export type ArtifactErrorCode = keyof typeof ARTIFACT_ERROR_CODES;

/** Structured context of an ArtifactError; `member` names the outer member or payload file at fault. */
export interface ArtifactErrorDetails {
  member?: string;
  [key: string]: unknown;
}

/** The one error type the artifacts library throws; `code` is stable, `message` names the input and the fault. */
export class ArtifactError extends Error {
  readonly code: ArtifactErrorCode;
  readonly details: ArtifactErrorDetails;

  constructor(code: ArtifactErrorCode, message: string, options: { cause?: unknown; details?: ArtifactErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ArtifactError";
    this.code = code;
    this.details = options.details ?? {};
  }

  /** JSON form for logs and `--json` output. */
  toJSON(): { code: ArtifactErrorCode; message: string; details: ArtifactErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is an ArtifactError (also across duplicated module instances). */
export function isArtifactError(err: unknown): err is ArtifactError {
  return err instanceof ArtifactError || (err instanceof Error && err.name === "ArtifactError" && "code" in err);
}
