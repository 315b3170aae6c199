// readRpiUpdate: streams rpi-image-gen's update.tar.zst (bare boot+system, or otamaker's _contents_.yaml form).
import type { Readable } from "node:stream";
import type { ArtifactFile } from "../artifact-header.js";
import { decompress, type DecompressorChoice } from "../compression/decompress.js";
import { ArtifactError } from "../errors.js";
import { GcPacer } from "../reader/gc-pacer.js";
import { MemberBody } from "../reader/member-body.js";
import { ByteReader } from "../tar/byte-reader.js";
import { PAYLOAD_FILE_NAME, assertSafeName } from "../tar/safe-name.js";
import { TarReader } from "../tar/tar-reader.js";
import { parseContentsYaml, type RpiContents } from "./contents-yaml.js";

/** A file of an rpi update: the ArtifactFile shape plus the otamaker payload type ("image-sparse" in the bare form). */
export interface RpiUpdateFile extends ArtifactFile {
  payloadType: string;
}

/** An opened update.tar.zst. */
export interface RpiUpdate {
  /** The parsed `_contents_.yaml`, or undefined for the bare form (every member is a sparse image). */
  contents: RpiContents | undefined;
  /** `artefact.name` from `_contents_.yaml`, when present. */
  name: string | undefined;
  /** `artefact.device_type` from `_contents_.yaml`, when present. */
  deviceType: string | undefined;
  /**
   * Members in order; single pass (every call returns the same iteration); an unconsumed file is skipped when the
   * next is asked for. Leaving the loop early does not end it: `done()` finishes it.
   */
  files(): AsyncIterable<RpiUpdateFile>;
  /** Reads (and discards) whatever was not consumed, checks every listed payload was present, and ends the read. */
  done(): Promise<{ files: Array<{ name: string; size: number; payloadType: string }> }>;
}

/** Options of readRpiUpdate. */
export interface RpiUpdateOptions {
  /** The compression of the outer file; default zstd (update.tar.zst). */
  compression?: "zstd" | "none" | "gzip" | "xz";
  decompressors?: DecompressorChoice;
  /** Max members; default 64. */
  maxFiles?: number;
}

const LABEL = "update.tar.zst";

/**
 * Opens an rpi-image-gen OTA payload. With `_contents_.yaml` first, only the listed payloads may follow (each exactly
 * once, all present at the end); without it, every member is an Android sparse image named after its partition.
 */
export async function readRpiUpdate(input: Readable, options: RpiUpdateOptions = {}): Promise<RpiUpdate> {
  const plain = await decompress(options.compression ?? "zstd", input, LABEL, options.decompressors ?? "auto");
  const tar = new TarReader(new ByteReader(plain[Symbol.asyncIterator]() as AsyncIterator<Buffer>), { label: LABEL, maxTrailer: 1024 * 1024 });
  let first = await tar.next();
  let contents: RpiContents | undefined;
  try {
    if (first !== null && first.name === "_contents_.yaml") {
      contents = parseContentsYaml((await tar.readAll(1024 * 1024, "_contents_.yaml")).toString("utf8"));
      first = await tar.next();
    }
  } catch (err) {
    plain.destroy();
    throw err;
  }
  const maxFiles = options.maxFiles ?? 64;
  const invalid = (msg: string, member: string): ArtifactError =>
    new ArtifactError("OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID", `${LABEL}: ${msg}`, { details: { member } });

  const summary: Array<{ name: string; size: number; payloadType: string }> = [];
  async function* files(): AsyncGenerator<RpiUpdateFile> {
    const seen = new Set<string>();
    const pacer = new GcPacer();
    try {
      for (let h = first; h !== null; h = await tar.next()) {
        assertSafeName(h.name, LABEL);
        if (h.type === "directory") continue;
        if (h.type !== "file") throw invalid(`member ${h.name} is not a regular file`, h.name);
        if (!PAYLOAD_FILE_NAME.test(h.name)) throw invalid(`member name ${JSON.stringify(h.name)} is not flat`, h.name);
        if (seen.has(h.name)) throw invalid(`member ${h.name} appears twice`, h.name);
        if (seen.size >= maxFiles) throw invalid(`more than ${maxFiles} members`, h.name);
        seen.add(h.name);
        let payloadType = "image-sparse";
        if (contents !== undefined) {
          const listed = contents.payloads.find((p) => p.name === h!.name);
          if (listed === undefined) throw invalid(`member ${h.name} is not listed in _contents_.yaml`, h.name);
          payloadType = listed.type;
        }
        const body = new MemberBody(tar, { onData: (c) => pacer.add(c.length) });
        summary.push({ name: h.name, size: h.size, payloadType });
        yield { name: h.name, size: h.size, stream: body.stream, payloadType };
        await body.settle();
        if (!body.complete) body.abandon();
      }
      if (contents !== undefined) {
        for (const p of contents.payloads) if (!seen.has(p.name)) throw invalid(`payload ${p.name} listed in _contents_.yaml is missing`, p.name);
      }
      if (seen.size === 0) throw invalid("no payload members", LABEL);
    } finally {
      plain.destroy();
    }
  }
  const it = files();
  const view: AsyncIterable<RpiUpdateFile> = {
    [Symbol.asyncIterator]: () => ({ next: () => it.next(), return: async () => ({ done: true as const, value: undefined }) }),
  };
  return {
    contents,
    name: contents?.artefact.name,
    deviceType: contents?.artefact.device_type,
    files: () => view,
    async done() {
      for (;;) {
        const step = await it.next();
        if (step.done === true) break;
        step.value.stream.destroy(); // not consumed: skipped by the next tar.next()
      }
      return { files: summary };
    },
  };
}
