// Adapts the artifacts/ Android sparse decoder to what the image writer needs: the expanded size, then ranges.
import type { Readable } from "node:stream";
import type { SparseRange } from "../../artifacts/index.js";

export { SPARSE_MAGIC } from "../../artifacts/sparse/sparse-image.js";

export interface SparseInput {
  /** Expanded size from the sparse header, known before the first range. */
  totalBytes: number;
  ranges: AsyncIterable<SparseRange>;
}

export async function openSparseImage(stream: Readable, label: string): Promise<SparseInput> {
  const { openSparseImage: open } = await import("../../artifacts/index.js");
  const image = await open(stream, label);
  return { totalBytes: image.expandedSize, ranges: image.ranges() };
}
