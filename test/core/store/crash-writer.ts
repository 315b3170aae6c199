// Child process for the store crash test: rewrites one record as fast as it can, acknowledging each write on stdout.
import { createHash } from "node:crypto";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { FileStateStore } from "../../../core/store/file-state-store.js";

const [sysroot, dataDir] = process.argv.slice(2);
const store = new FileStateStore(new NodePlatform({ sysroot }), dataDir!);

/** ~48 KiB per record, so a write spans several kernel calls and a kill can land in the middle of one. */
function record(n: number): { schemaVersion: 1; seq: number; payload: string; sha256: string } {
  const payload = `${n}:`.padEnd(48 * 1024, String.fromCharCode(97 + (n % 26)));
  return { schemaVersion: 1, seq: n, payload, sha256: createHash("sha256").update(payload).digest("hex") };
}

// Started ahead of time by the test ("warm"), it waits for "go <last seq>" so Node's start-up is not in the loop.
const go = await new Promise<number>((resolve) => {
  let buffered = "";
  process.stdin.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const match = /^go (\d+)\n/.exec(buffered);
    if (match) resolve(Number(match[1]));
  });
  process.stdout.write("ready\n");
});
process.stdout.write("writing\n");
for (let seq = go + 1; ; seq++) {
  await store.write("state", record(seq));
  // stdout to a pipe is synchronous on Linux: the ack is in the pipe before the next write starts.
  process.stdout.write(`w ${seq}\n`);
}
