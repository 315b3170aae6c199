// Adapts the artifacts/ reader (Mender Artifact v3 and rpi-image-gen update.tar.zst) to the pipeline's ArtifactInput.
import type { Readable } from "node:stream";
import type { Platform } from "../capabilities/platform.js";
import type { InstalledState } from "../capabilities/deployment-server.js";
import type { AgentConfig } from "../config/schema.js";
import { OtaError } from "../errors/index.js";
import type { ArtifactInput } from "./artifact-input.js";

export interface OpenArtifactInputOptions {
  platform: Platform;
  config: AgentConfig;
  installed: InstalledState;
  /** Artifact name for formats that carry none. */
  name: string;
  /** Whether the caller checks a whole-file SHA-256 at the end (required for unsigned update.tar.zst). */
  sha256Given: boolean;
}

/** Opens the artifact in `stream`, sniffing the format from its first bytes. */
export async function openArtifactInput(_stream: Readable, _options: OpenArtifactInputOptions): Promise<ArtifactInput> {
  await Promise.resolve();
  throw new OtaError("OTA_ERR_INTERNAL", "artifact reader not wired yet");
}
