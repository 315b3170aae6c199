// Adapts the artifacts/ Android sparse decoder to the ranges the frame writer places.
import type { Readable } from "node:stream";

/** Android sparse image magic (little-endian u32 at offset 0). */
export const SPARSE_MAGIC = 0xed26ff3a;

export type SparseRange =
  | { kind: "raw"; offset: number; data: Buffer }
  | { kind: "fill"; offset: number; length: number; pattern: Buffer }
  | { kind: "skip"; offset: number; length: number };

export interface SparseImage {
  /** Expanded size from the sparse header, known before the first range. */
  totalBytes: number;
  ranges: AsyncIterable<SparseRange>;
}

export async function openSparseImage(_stream: Readable): Promise<SparseImage> {
  await Promise.resolve();
  throw new Error("sparse decoder not wired yet");
}
