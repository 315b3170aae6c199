// signArtifact: adds (or replaces) manifest.sig in an existing artifact, copying every other member byte for byte.
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { KeyInput } from "../artifact-header.js";
import { signManifest } from "../crypto/manifest-signature.js";
import { ArtifactError } from "../errors.js";
import { ByteReader } from "../tar/byte-reader.js";
import { TAR_END, encodeTarHeader, tarPadding } from "../tar/tar-writer.js";

function octal(buf: Buffer, off: number, len: number): number {
  const text = buf.subarray(off, off + len).toString("latin1").replace(/\0.*$/s, "").trim();
  if (!/^[0-7]*$/.test(text)) throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", "artifact: tar header field is not octal");
  return text === "" ? 0 : parseInt(text, 8);
}

/**
 * Streams `input` to `output`, inserting a fresh `manifest.sig` (mode 0644, as `mender-artifact sign` writes it) right
 * after `manifest` and dropping an old one. Raw header blocks and bodies of all other members are copied unchanged,
 * so their checksums — and the manifest — stay valid. Only the structure is checked here; validate the result.
 */
export async function signArtifact(input: Readable, key: KeyInput, output: Writable): Promise<void> {
  const bytes = new ByteReader(input[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const truncated = (): ArtifactError => new ArtifactError("OTA_ERR_ARTIFACT_TRUNCATED", "artifact: input ended inside a member", { details: { member: "artifact" } });
  async function* copy(): AsyncGenerator<Buffer> {
    let index = 0;
    for (;;) {
      const raw: Buffer[] = [];
      let name: string | undefined;
      let size = 0;
      // Collect the member's header blocks (PAX / GNU long-name records included) verbatim.
      for (;;) {
        const block = await bytes.readExact(512);
        if (block.length < 512) throw truncated();
        if (block.every((b) => b === 0)) {
          if (raw.length > 0) throw new ArtifactError("OTA_ERR_ARTIFACT_TAR_INVALID", "artifact: end marker inside a member header");
          yield TAR_END;
          return;
        }
        raw.push(Buffer.from(block));
        const type = String.fromCharCode(block[156]!);
        const sz = octal(block, 124, 12);
        if (type === "x" || type === "g" || type === "L") {
          if (sz > 65536) throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", "artifact: tar metadata record too large");
          const rec = await bytes.readExact(sz + ((512 - (sz % 512)) % 512));
          if (rec.length < sz) throw truncated();
          raw.push(Buffer.from(rec));
          const paxSize = type === "x" ? /\d+ size=(\d+)\n/.exec(rec.subarray(0, sz).toString("utf8")) : null;
          const paxPath = type === "x" ? /\d+ path=([^\n]*)\n/.exec(rec.subarray(0, sz).toString("utf8")) : null;
          if (paxPath !== null) name = paxPath[1];
          if (paxSize !== null) size = Number(paxSize[1]);
          continue;
        }
        const prefix = block.subarray(345, 500).toString("utf8").replace(/\0.*$/s, "");
        const base = block.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
        name ??= prefix !== "" ? `${prefix}/${base}` : base;
        if (size === 0) size = sz;
        break;
      }
      const padded = size + ((512 - (size % 512)) % 512);
      if (index === 0 && name !== "version") throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `artifact: first member is ${JSON.stringify(name)}, not version`, { details: { member: name } });
      if (index === 1 && name !== "manifest") throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `artifact: second member is ${JSON.stringify(name)}, not manifest`, { details: { member: name } });
      index++;
      if (name === "manifest.sig") {
        if ((await bytes.skip(padded)) < padded) throw truncated();
        continue;
      }
      if (name === "manifest") {
        if (size > 1024 * 1024) throw new ArtifactError("OTA_ERR_ARTIFACT_TOO_LARGE", "manifest: larger than 1 MiB", { details: { member: "manifest" } });
        const body = await bytes.readExact(padded);
        if (body.length < padded) throw truncated();
        yield* raw;
        yield Buffer.from(body);
        const sig = Buffer.from(signManifest(body.subarray(0, size), key));
        // mtime 0 and mode 0644 as `mender-artifact sign` writes them: with an RSA key the outputs are byte-identical.
        yield encodeTarHeader({ name: "manifest.sig", size: sig.length, mode: 0o644, mtime: 0 });
        yield sig;
        yield tarPadding(sig.length);
        continue;
      }
      yield* raw;
      let left = padded;
      while (left > 0) {
        const part = await bytes.read(Math.min(left, 1024 * 1024));
        if (part === null) throw truncated();
        left -= part.length;
        yield part;
      }
    }
  }
  await pipeline(Readable.from(copy()), output);
}
