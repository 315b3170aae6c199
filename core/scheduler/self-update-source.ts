// The self-update "server": a device without a fleet server checks an artifact URI and installs a new artifact name.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type {
  Deployment,
  DeploymentServer,
  InstalledState,
  NothingToDo,
  ServerPollPolicy,
  StatusReport,
} from "../capabilities/deployment-server.js";
import { OtaError, asOtaError, isOtaError } from "../errors/index.js";
import type { Logger } from "../logging/logger.js";
import { DEFAULT_POLL_POLICY, delayAfterFailureMs } from "./poll-timing.js";

export interface SelfUpdateOptions {
  uri: string;
  checkSha256Uri?: string;
  intervalMs: number;
  /** Opens a URI (the agent's source registry: file, http(s), plugins' sources). */
  open: (uri: string, signal?: AbortSignal) => Promise<{ stream: Readable }>;
  /** The last finished deployment (so a failed artifact is not installed over and over). */
  lastResult: () => Promise<{ artifactName: string; result: string } | undefined>;
  log: Logger;
}

/** First bytes of a zstd frame (rpi-image-gen's update.tar.zst). */
const ZSTD_MAGIC = 0xfd2fb528;
/** A checksum file is a line or two; anything longer is not one. */
const MAX_CHECKSUM_BYTES = 4096;

/**
 * Plays the DeploymentServer role for `schedule.selfUpdate`, so the daemon's loop, the runner and the install
 * policy are the same with or without a fleet server. "Next deployment" reads only the artifact's header (its
 * name) and stops; an artifact whose name is installed is NothingToDo, and so is one whose last deployment failed
 * (it would fail again, every interval, until a new name is published). With `checkSha256Uri` the checksum file
 * is read first and the artifact is opened only when it changed; the download is then checked against it.
 * Status reports, logs and inventory have nowhere to go and are dropped.
 */
export class SelfUpdateSource implements DeploymentServer {
  readonly name = "self-update";
  private lastSha256: string | undefined;
  private lastName: string | undefined;

  constructor(private readonly options: SelfUpdateOptions) {}

  async authenticate(): Promise<void> {}

  async nextDeployment(installed: InstalledState, signal?: AbortSignal): Promise<Deployment | NothingToDo> {
    const { uri, checkSha256Uri } = this.options;
    let sha256: string | undefined;
    if (checkSha256Uri) {
      sha256 = await this.readChecksum(checkSha256Uri, signal);
      if (sha256 === this.lastSha256 && this.lastName !== undefined) return this.decide(installed, this.lastName, sha256);
    }
    const name = await this.readArtifactName(uri, sha256, signal);
    this.lastSha256 = sha256;
    this.lastName = name;
    return this.decide(installed, name, sha256);
  }

  private async decide(installed: InstalledState, name: string, sha256: string | undefined): Promise<Deployment | NothingToDo> {
    if (name === installed.artifactName) return { kind: "nothing" };
    const last = await this.options.lastResult();
    if (last && last.artifactName === name && last.result !== "success") {
      this.options.log.debug({ event: "schedule.self-update.skip-failed", artifactName: name }, `${name} failed before; waiting for a new artifact`);
      return { kind: "nothing" };
    }
    const id = `self-${createHash("sha256").update(`${name}\0${sha256 ?? ""}`).digest("hex").slice(0, 16)}`;
    return {
      id,
      artifactName: name,
      uri: this.options.uri,
      ...(sha256 ? { sha256 } : {}),
      policy: { download: "forced", update: "forced" },
      server: this.name,
    };
  }

  async reportStatus(_deployment: Deployment, _report: StatusReport): Promise<"ok"> {
    return "ok";
  }
  async uploadLog(): Promise<void> {}
  async sendInventory(): Promise<void> {}

  pollPolicy(): ServerPollPolicy {
    return { ...DEFAULT_POLL_POLICY, updatePollIntervalMs: this.options.intervalMs, inventoryPollIntervalMs: Number.MAX_SAFE_INTEGER };
  }

  retryDelayMs(error: unknown, failures: number, regularMs: number): number {
    return delayAfterFailureMs(error, failures, this.pollPolicy(), regularMs);
  }

  /**
   * Reads the artifact's header only (version, manifest, header): a few KiB of a file of hundreds of MiB. An
   * rpi-image-gen update.tar.zst carries no name: with a checksum file it is named after its SHA-256
   * ("update-<first 12 hex>", which then becomes the installed name), without one it cannot be told apart.
   */
  private async readArtifactName(uri: string, sha256: string | undefined, signal?: AbortSignal): Promise<string> {
    let stream: Readable | undefined;
    try {
      stream = (await this.options.open(uri, signal)).stream;
      const { peekStream } = await import("../install/stream-peek.js");
      const head = await peekStream(stream, 4);
      if (head.length === 4 && head.readUInt32LE(0) === ZSTD_MAGIC) {
        stream.destroy();
        if (sha256) return `update-${sha256.slice(0, 12)}`;
        throw new OtaError("OTA_ERR_SCHEDULE_SOURCE", `self-update ${uri} is an update.tar.zst, which carries no artifact name: set schedule.selfUpdate.checkSha256Uri`, {
          details: { uri },
        });
      }
      const { openArtifact } = await import("../../artifacts/index.js");
      const artifact = await openArtifact(stream, {});
      const name = artifact.header.name;
      artifact.abort();
      return name;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw wrap(err, `self-update ${uri}`);
    } finally {
      // Only the header was wanted: release the source (its file handle) on every path, not at garbage collection.
      stream?.destroy();
    }
  }

  private async readChecksum(uri: string, signal?: AbortSignal): Promise<string> {
    let stream: Readable | undefined;
    try {
      stream = (await this.options.open(uri, signal)).stream;
      let text = "";
      for await (const chunk of stream) {
        text += (chunk as Buffer).toString("utf8");
        if (text.length > MAX_CHECKSUM_BYTES) break;
      }
      stream.destroy();
      const hex = /^\s*([0-9a-fA-F]{64})(\s|$)/.exec(text)?.[1];
      if (!hex) throw new OtaError("OTA_ERR_SCHEDULE_SOURCE", `self-update checksum ${uri} holds no SHA-256 (want 64 hex digits first)`, { details: { uri } });
      return hex.toLowerCase();
    } catch (err) {
      stream?.destroy();
      if (signal?.aborted) throw signal.reason;
      throw wrap(err, `self-update checksum ${uri}`);
    }
  }
}

function wrap(err: unknown, context: string): OtaError {
  if (isOtaError(err, "OTA_ERR_SCHEDULE_SOURCE")) return err;
  const e = asOtaError(err, "OTA_ERR_SCHEDULE_SOURCE", context);
  return e.code === "OTA_ERR_SCHEDULE_SOURCE" ? e : new OtaError("OTA_ERR_SCHEDULE_SOURCE", e.message, { cause: e, details: { ...e.details, cause: e.code } });
}
