// `npm run demo -- --server` (issue item 7) as a user runs it: the demo against the development server ends well.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

function runDemo(timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "demo", "--", "--server"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.replace(/\x1b\[[0-9;]*m/g, "") });
    });
  });
}

describe("npm run demo -- --server", () => {
  it("deploys release-v2 to success and release-v3 to failure through the dev server, with no request the documents reject", async () => {
    const { code, out } = await runDemo(110_000);
    expect(code, out).toBe(0);
    expect(out).toContain("operator: accepts the pending device");
    expect(out).toContain("server recorded: downloading → installing → rebooting → installing → success");
    expect(out).toContain("server recorded: downloading → installing → rebooting → failure");
    expect(out).toContain("artifact downloaded from a presigned link (Authorization header absent)");
    expect(out).not.toContain("server saw requests its API documents reject");
    expect(out).toContain("done: the server shows release-v2 succeeded and release-v3 failed");
  }, 120_000);
});
