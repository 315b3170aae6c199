// The simulated device's reboot command for child processes: records the reboot request for the firmware model.
// Usage (as the agent's rebootCommand): node reboot-cmd.mjs <device dir> [reboot argument]
// The harness then calls device.boot(), which performs the recorded reboot ("0 tryboot" sets the tryboot flag).
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: reboot-cmd.mjs <device dir> [argument]\n");
  process.exit(2);
}
const arg = rest.length > 0 ? rest.join(" ") : undefined;
mkdirSync(join(dir, "firmware"), { recursive: true });
const file = join(dir, "firmware", "reboot-request.json");
writeFileSync(`${file}.tmp`, JSON.stringify({ arg, at: new Date().toISOString(), pid: process.ppid }) + "\n");
renameSync(`${file}.tmp`, file);
