// NodeFileHandle: one open file or block device, with the device size found portably for block devices.
import type { FileHandle as NodeHandle } from "node:fs/promises";
import type { FileHandle, FileStat } from "../capabilities/platform.js";
import { toFileStat } from "./file-stat.js";

/** Block devices report their size in 512-byte logical sectors at least. */
const SECTOR = 512;

export class NodeFileHandle implements FileHandle {
  constructor(private readonly handle: NodeHandle) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(buffer, offset, length, position);
    return bytesRead;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const { bytesWritten } = await this.handle.write(buffer, offset, length, position);
    return bytesWritten;
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  async stat(): Promise<FileStat> {
    return toFileStat(await this.handle.stat(), false);
  }

  /**
   * st_size for files. Block devices report st_size 0, and /sys/class/block/<name>/size is neither sysroot-safe
   * nor present for every device, so the size is found by reading: a one-byte read at a sector past the end returns
   * 0 bytes. An exponential probe then a binary search takes about 2·log2(sectors) reads (≈ 60 for 1 TiB).
   */
  async size(): Promise<number> {
    const st = await this.handle.stat();
    if (!st.isBlockDevice()) return st.size;
    const probe = new Uint8Array(1);
    const readable = async (sector: number): Promise<boolean> =>
      (await this.handle.read(probe, 0, 1, sector * SECTOR)).bytesRead > 0;
    if (!(await readable(0))) return 0;
    let low = 0; // readable
    let high = 1;
    while (await readable(high)) {
      low = high;
      high *= 2;
    }
    // invariant: sector `low` is readable, sector `high` is not
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await readable(mid)) low = mid;
      else high = mid;
    }
    return high * SECTOR;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
