// Unit-name escaping matches the real `systemd-escape` byte for byte.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { escapeUnitPath, escapeUnitString, mountUnitName } from "../../../plugins/persistence/unit-escape.js";
import { isOtaError } from "../../../core/errors/index.js";

/** One systemd-escape call for many inputs (escaped output never contains a space, so it splits cleanly). */
function systemdEscape(inputs: readonly string[], path: boolean): string[] {
  const out = execFileSync("systemd-escape", [...(path ? ["--path"] : []), "--", ...inputs], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return out.trimEnd().split(" ");
}

const tricky = [
  "/",
  "//",
  "/var/log/journal",
  "/dev/disk/by-slot/persistent",
  "/dev/disk/by-label/PERSISTENT",
  "/etc/NetworkManager/system-connections",
  "/.hidden/dir",
  "/a/.b",
  "/a/./b",
  "./a",
  "a/",
  "foo//bar/",
  "/a-b\\c",
  "/ä ü",
  "/tab\there",
  "/x:y_z.w",
  "/-leading-dash",
  "/a/.",
];

const segment = fc.string({ unit: fc.constantFrom("a", "Z", "0", ".", "-", "_", ":", "\\", " ", "é", "€", "%", "@", "x"), minLength: 1, maxLength: 6 });
const pathArb = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((parts) => `/${parts.join("/")}`)
  .filter((p) => !p.split("/").includes(".."));

describe("escapeUnitPath", () => {
  it("matches systemd-escape --path on hand-picked paths", () => {
    expect(tricky.map(escapeUnitPath)).toEqual(systemdEscape(tricky, true));
  });

  it("matches systemd-escape --path on generated paths", () => {
    const samples = fc.sample(pathArb, { numRuns: 300, seed: 4242 });
    expect(samples.map(escapeUnitPath)).toEqual(systemdEscape(samples, true));
  });

  it("matches systemd-escape (string mode) on generated strings", () => {
    const samples = fc.sample(pathArb, { numRuns: 200, seed: 7 }).map((p) => p.slice(1));
    expect(samples.map(escapeUnitString)).toEqual(systemdEscape(samples, false));
  });

  it("dot-dot-component-refused like systemd-escape", () => {
    expect(() => execFileSync("systemd-escape", ["--path", "/a/../b"], { stdio: "ignore" })).toThrow();
    let caught: unknown;
    try {
      escapeUnitPath("/a/../b");
    } catch (err) {
      caught = err;
    }
    expect(isOtaError(caught, "OTA_ERR_PERSIST_UNIT_NAME")).toBe(true);
  });

  it("names mount units the way systemd expects", () => {
    expect(mountUnitName("/var/log/journal")).toBe("var-log-journal.mount");
    expect(mountUnitName("/persistent")).toBe("persistent.mount");
  });
});
