// Opt-in preload that names the code which left an fs.promises FileHandle open (Node's DEP0137 warning).
//
// Node only says "Closing a FileHandle object on garbage collection", long after the fact and without a stack.
// This wraps fs.promises.open (ESM named imports included, via syncBuiltinESMExports), remembers where every
// handle was opened, and prints that stack to stderr when a handle is garbage-collected unclosed, or is still
// open when the process exits. Usage (every vitest worker and every node child inherits NODE_OPTIONS):
//
//   NODE_OPTIONS="--require ./test/helpers/file-handle-tracker.cjs --expose-gc" npx vitest run
//
// --expose-gc lets it collect before exit so leaks show up in the file that made them; without it only the
// handles still open at exit and those the GC happens to collect are reported. OTA_FH_TRACK_LOG=<file> appends
// the reports to a file as well. Not loaded by the normal test run.
"use strict";
const fs = require("node:fs");
const { syncBuiltinESMExports } = require("node:module");

if (!globalThis.__otaFileHandleTracker) {
  const logFile = process.env.OTA_FH_TRACK_LOG;
  /** @type {Map<number, { stack: string, closed: boolean }>} */
  const live = new Map();
  let seq = 0;
  const report = (what, info) => {
    const text = `\n[file-handle-tracker] pid ${process.pid}: ${what}\n${info.stack}\n`;
    fs.writeSync(2, text);
    if (logFile) fs.appendFileSync(logFile, text);
  };
  const collected = new FinalizationRegistry((info) => {
    live.delete(info.id);
    if (!info.closed) report("FileHandle garbage-collected without close(), opened at", info);
  });
  const open = fs.promises.open;
  fs.promises.open = async function trackedOpen(...args) {
    const handle = await open.apply(this, args);
    const info = { id: ++seq, closed: false, stack: `${String(args[0])} (${String(args[1] ?? "r")})\n${new Error("opened").stack}` };
    live.set(info.id, info);
    // FileHandle emits "close" once its descriptor is closed by close(); the listener holds no reference to it
    handle.once("close", () => {
      info.closed = true;
      live.delete(info.id);
    });
    collected.register(handle, info);
    return handle;
  };
  syncBuiltinESMExports();
  globalThis.__otaFileHandleTracker = { live };
  const reportOpen = () => {
    for (const info of live.values()) if (!info.closed) report("FileHandle still open at exit, opened at", info);
    live.clear();
  };
  process.on("exit", reportOpen);
  // vitest ends a fork worker with SIGTERM, which skips "exit": collect, let finalizers report, list what is still
  // open, then die of the signal as before (unless the program has its own SIGTERM handler, which then decides).
  process.once("SIGTERM", () => {
    if (typeof globalThis.gc === "function") globalThis.gc();
    setTimeout(() => {
      reportOpen();
      if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
    }, 50);
  });
  // Collect while the event loop still runs, so finalizers report before exit (only with --expose-gc).
  if (typeof globalThis.gc === "function") {
    const timer = setInterval(() => globalThis.gc(), 2_000);
    timer.unref();
  }
}
