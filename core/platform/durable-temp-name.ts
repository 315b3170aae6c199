// The naming rule for temp files of durable writes, shared by the writer and the store's crash cleanup.
import { randomBytes } from "node:crypto";

/** Temp files for `<dir>/<base>` are `<dir>/.<base>.tmp-<pid>-<n>-<random>`: hidden, never matched by `*.json`. */
export function durableTempPrefix(base: string): string {
  return `.${base}.tmp-`;
}

let counter = 0;

/**
 * A fresh temp name for `base`. The random part matters: devices boot the agent with the same pid every time, so
 * pid and counter alone would collide with a temp file a power cut left behind (and "wx" would then fail).
 */
export function durableTempName(base: string): string {
  counter += 1;
  return `${durableTempPrefix(base)}${process.pid}-${counter}-${randomBytes(4).toString("hex")}`;
}
