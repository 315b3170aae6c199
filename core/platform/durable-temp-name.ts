// The naming rule for temp files of durable writes, shared by the writer and the store's crash cleanup.

/** Temp files for `<dir>/<base>` are `<dir>/.<base>.tmp-<pid>-<n>`: hidden, and never matched by `*.json`. */
export function durableTempPrefix(base: string): string {
  return `.${base}.tmp-`;
}

let counter = 0;

/** A fresh temp name for `base`, unique within this process. */
export function durableTempName(base: string): string {
  counter += 1;
  return `${durableTempPrefix(base)}${process.pid}-${counter}`;
}
