// Public surface of the artifacts leaf library: Mender Artifact v3 read/write/sign, Android sparse, rpi update.tar.zst.
export { ArtifactError, ARTIFACT_ERROR_CODES, isArtifactError, type ArtifactErrorCode, type ArtifactErrorDetails } from "./errors.js";
export type {
  ArtifactFile,
  ArtifactHeader,
  ArtifactPayload,
  ArtifactScript,
  ArtifactSummary,
  AugmentedHeader,
  Compression,
  InstalledArtifact,
  KeyInput,
  ManifestEntry,
  PayloadHeader,
  ReadLimits,
  ReadOptions,
  SignatureStatus,
} from "./artifact-header.js";
export { openArtifact, DEFAULT_READ_LIMITS, type OpenedArtifact } from "./reader/open-artifact.js";
export { sourceReadable, isByteSource, type ByteSource } from "./tar/byte-source.js";
export { checkCompatibility } from "./reader/depends-check.js";
export { signManifest, verifyManifest } from "./crypto/manifest-signature.js";
export { openSparseImage, isSparseImage, SPARSE_MAGIC, type SparseImage, type SparseRange } from "./sparse/sparse-image.js";
export { crc32Combine } from "./sparse/crc32-combine.js";
export { encodeSparseFile, encodeSparseBuffer, type SparseEncodeOptions, type SparseEncodedStream } from "./sparse/sparse-encoder.js";
export { writeArtifact, VERSION_BYTES, type WriteOptions, type WriteResult, type WriterFile, type WriterScript } from "./writer/write-artifact.js";
export { readRpiUpdate, type RpiUpdate, type RpiUpdateFile, type RpiUpdateOptions } from "./rpi/read-rpi-update.js";
export { parseContentsYaml, type RpiContents } from "./rpi/contents-yaml.js";
export { signArtifact } from "./writer/sign-artifact.js";
export { rpiAbSlotWriteOptions, RPI_AB_SLOT_TYPE, RPI_AB_SLOT_FILES, RPI_AB_SLOT_PROVIDES, RPI_AB_SLOT_CLEARS, type RpiAbSlotInput } from "./rpi/rpi-ab-slot.js";
