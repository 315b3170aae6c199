// Converts Node's fs.Stats into the Platform's FileStat.
import type { Stats } from "node:fs";
import type { FileStat } from "../capabilities/platform.js";

export function toFileStat(st: Stats, isSymbolicLink: boolean): FileStat {
  return {
    size: st.size,
    mode: st.mode,
    dev: st.dev,
    ino: st.ino,
    rdev: st.rdev,
    isFile: st.isFile(),
    isDirectory: st.isDirectory(),
    isBlockDevice: st.isBlockDevice(),
    isSymbolicLink: isSymbolicLink || st.isSymbolicLink(),
    mtimeMs: st.mtimeMs,
  };
}
