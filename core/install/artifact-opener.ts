// Adapts the artifacts/ readers (Mender Artifact v3, rpi-image-gen update.tar.zst) to the pipeline's ArtifactInput.
import type { Readable } from "node:stream";
import type { Platform } from "../capabilities/platform.js";
import type { InstalledState } from "../capabilities/deployment-server.js";
import type { AgentConfig } from "../config/schema.js";
import { OtaError, asOtaError } from "../errors/index.js";
import type { ArtifactInput, ArtifactInputHeader, ArtifactInputPayload } from "./artifact-input.js";
import { peekStream } from "./stream-peek.js";
import { PulledArtifact } from "./pulled-artifact.js";

export interface OpenArtifactInputOptions {
  platform: Platform;
  config: AgentConfig;
  installed: InstalledState;
  /** Artifact name for formats that carry none. */
  name: string;
  /** Whether the caller checks a whole-file SHA-256 at the end (required for update.tar.zst, which has no hashes). */
  sha256Given: boolean;
}

const ZSTD_MAGIC = 0xfd2fb528;

/** The artifact's bytes: a stream, or a source's pull side (reused buffers; see OpenedArtifact.pull). */
export type ArtifactBytes = Readable | PulledArtifact;

/** Opens the artifact in `bytes`, sniffing the format from its first bytes (zstd frame → update.tar.zst). */
export async function openArtifactInput(bytes: ArtifactBytes, options: OpenArtifactInputOptions): Promise<ArtifactInput> {
  const head = bytes instanceof PulledArtifact ? await bytes.peek(4) : await peekStream(bytes, 4);
  if (head.length === 4 && head.readUInt32LE(0) === ZSTD_MAGIC) {
    if (!(bytes instanceof PulledArtifact)) return openRpiUpdate(bytes, options);
    const { sourceReadable } = await import("../../artifacts/index.js");
    return openRpiUpdate(sourceReadable(bytes), options);
  }
  return openMender(bytes, options);
}


async function loadKeys(platform: Platform, paths: readonly string[]): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  for (const path of paths) {
    try {
      keys.push(await platform.fs.readFile(path));
    } catch (err) {
      throw asOtaError(err, "OTA_ERR_CONFIG_INVALID", `artifacts.verifyKeys: ${path}`);
    }
  }
  return keys;
}

async function openMender(stream: ArtifactBytes, options: OpenArtifactInputOptions): Promise<ArtifactInput> {
  const { openArtifact } = await import("../../artifacts/index.js");
  const { config, installed } = options;
  const verifyKeys = await loadKeys(options.platform, config.artifacts.verifyKeys);
  const group = installed.provides.artifact_group;
  const artifact = await openArtifact(stream, {
    verifyKeys,
    requireSignature: config.artifacts.requireSignature || verifyKeys.length > 0,
    deviceType: installed.deviceType,
    installed: {
      name: installed.artifactName,
      provides: installed.provides,
      ...(group !== undefined ? { group } : {}),
    },
  });
  const h = artifact.header;
  const provides: Record<string, string> = { artifact_name: h.name };
  if (h.group) provides.artifact_group = h.group;
  const depends: Record<string, string | string[]> = { device_type: h.deviceTypes };
  if (h.dependsArtifactNames.length > 0) depends.artifact_name = h.dependsArtifactNames;
  if (h.dependsGroups.length > 0) depends.artifact_group = h.dependsGroups;
  const clears = new Set<string>();
  const payloads: ArtifactInputHeader["payloads"] = [];
  for (const p of h.payloads) {
    Object.assign(provides, p.provides);
    Object.assign(depends, p.depends);
    for (const c of p.clearsProvides ?? []) clears.add(c);
    // an empty (bootstrap) payload has no type and no files: nothing for a module to do
    if (p.type !== null) payloads.push({ index: p.index, type: p.type, typeInfo: p.typeInfo, metaData: p.metaData ?? {} });
  }
  const header: ArtifactInputHeader = {
    format: "mender",
    artifactName: h.name,
    deviceTypes: h.deviceTypes,
    provides,
    clearsProvides: [...clears],
    depends,
    headerInfo: h.headerInfo,
    payloads,
    scripts: h.scripts.map((s) => ({ name: s.name, content: s.content })),
  };
  if (h.group !== undefined) header.artifactGroup = h.group;
  if (h.signature.keyIndex !== undefined) header.signedByIndex = h.signature.keyIndex;
  return {
    header,
    async *payloads(): AsyncIterable<ArtifactInputPayload> {
      for await (const p of artifact.payloads()) {
        if (p.type === null) continue;
        yield { index: p.index, type: p.type, files: p.files };
      }
    },
    async done(): Promise<void> {
      await artifact.done();
    },
    abort(reason?: Error): void {
      artifact.abort(reason);
    },
  };
}

async function openRpiUpdate(stream: Readable, options: OpenArtifactInputOptions): Promise<ArtifactInput> {
  const { config } = options;
  // update.tar.zst carries no signature and no checksums: only a whole-file SHA-256 from a trusted party vouches for it
  if (config.artifacts.requireSignature || config.artifacts.verifyKeys.length > 0) {
    stream.destroy();
    throw new OtaError(
      "OTA_ERR_INSTALL_ARTIFACT_INVALID",
      "update.tar.zst is unsigned and artifact signatures are required (artifacts.verifyKeys / requireSignature)",
      { details: { artifactCode: "OTA_ERR_ARTIFACT_SIGNATURE_MISSING" } },
    );
  }
  if (!options.sha256Given) {
    stream.destroy();
    throw new OtaError(
      "OTA_ERR_INSTALL_ARTIFACT_INVALID",
      "update.tar.zst carries no checksums: give its SHA-256 (--sha256, or from the server)",
      { details: { format: "rpi-update" } },
    );
  }
  const { readRpiUpdate, RPI_AB_SLOT_TYPE, RPI_AB_SLOT_CLEARS } = await import("../../artifacts/index.js");
  const update = await readRpiUpdate(stream);
  const name = update.name ?? options.name;
  const type = RPI_AB_SLOT_TYPE;
  const header: ArtifactInputHeader = {
    format: "rpi-update",
    artifactName: name,
    deviceTypes: update.deviceType ? [update.deviceType] : [options.installed.deviceType],
    provides: { artifact_name: name },
    clearsProvides: [...RPI_AB_SLOT_CLEARS],
    depends: {},
    payloads: [{ index: 0, type, typeInfo: { type }, metaData: {} }],
    scripts: [],
  };
  if (update.deviceType && update.deviceType !== options.installed.deviceType) {
    stream.destroy();
    throw new OtaError(
      "OTA_ERR_INSTALL_ARTIFACT_INVALID",
      `update.tar.zst is for device type ${update.deviceType}, not ${options.installed.deviceType}`,
      { details: { artifactCode: "OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH" } },
    );
  }
  return {
    header,
    async *payloads(): AsyncIterable<ArtifactInputPayload> {
      yield { index: 0, type, files: slotImages(update.files()) };
    },
    async done(): Promise<void> {
      await update.done();
    },
    abort(): void {
      stream.destroy();
    },
  };
}

/**
 * otamaker payloads other than `image-sparse` (`script`, `tmpfile`) are not run: refusing them is clearer than
 * installing half of what the author meant. Sparse images go to the rpi-ab-slot module, which checks the names.
 */
async function* slotImages(
  files: AsyncIterable<{ name: string; size: number; stream: Readable; payloadType: string }>,
): AsyncGenerator<{ name: string; size: number; stream: Readable }> {
  for await (const file of files) {
    if (file.payloadType !== "image-sparse") {
      file.stream.destroy();
      throw new OtaError(
        "OTA_ERR_INSTALL_PAYLOAD_INVALID",
        `update.tar.zst payload "${file.name}" has type ${file.payloadType}; only image-sparse payloads are supported`,
        { details: { file: file.name, payloadType: file.payloadType } },
      );
    }
    yield { name: file.name, size: file.size, stream: file.stream };
  }
}
