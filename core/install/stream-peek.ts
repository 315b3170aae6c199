// Reads the first bytes of a Readable without consuming them, to sniff a format before handing the stream on.
import type { Readable } from "node:stream";

/** Resolves with up to `n` leading bytes (fewer when the stream ends first); they are pushed back with unshift. */
export async function peekStream(stream: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      parts.push(chunk);
      have += chunk.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        stream.off("readable", done);
        stream.off("end", done);
        stream.off("close", done);
        stream.off("error", fail);
      };
      const done = (): void => {
        cleanup();
        resolve();
      };
      const fail = (err: Error): void => {
        cleanup();
        reject(err);
      };
      stream.on("readable", done);
      stream.on("end", done);
      stream.on("close", done);
      stream.on("error", fail);
    });
    if (stream.errored) throw stream.errored;
  }
  const head = Buffer.concat(parts);
  if (head.length > 0) stream.unshift(head);
  return head.subarray(0, n);
}
