// Positioned reads of a whole range through a Platform FileHandle, looping over short reads.
import type { FileHandle } from "../capabilities/platform.js";

/**
 * Reads `length` bytes at `position`. A handle may return fewer bytes than asked (block devices, the simulated
 * device), so this loops; it stops early only at the end of the file, and then returns the bytes that exist —
 * callers check the length they got (a truncated table or file system is their error to name).
 */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = await fh.read(buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}
