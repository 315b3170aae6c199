// One machine ID for both slots: first boot persists systemd's ID, later boots apply it in place.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { NodePlatform } from "../../../core/platform/index.js";
import { isOtaError } from "../../../core/errors/index.js";
import { MachineIdSync, parseMachineId } from "../../../plugins/machine-id/machine-id-sync.js";
import { MachineIdConfigSchema as MachineIdSchema } from "../../../plugins/machine-id/config.js";
import { recordingLogger } from "../persistence/test-logger.js";

const GENERATED = "0123456789abcdef0123456789abcdef";
const PERSISTED = "fedcba9876543210fedcba9876543210";

let root: string;
const host = (p: string): string => join(root, p);
function write(path: string, text: string): void {
  mkdirSync(dirname(host(path)), { recursive: true });
  writeFileSync(host(path), text);
}
function syncer() {
  return new MachineIdSync(new NodePlatform({ sysroot: root }), recordingLogger(), MachineIdSchema.parse({}));
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ota-machineid-"));
  // a read-only root ships an empty /etc/machine-id; systemd put its invented ID into /run/machine-id
  write("/etc/machine-id", "");
  write("/run/machine-id", `${GENERATED}\n`);
  mkdirSync(host("/persistent/common/etc"), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("machine-id sync", () => {
  it("first boot persists the generated ID", async () => {
    write("/persistent/common/etc/machine-id", "");
    expect(await syncer().sync()).toBe("persisted");
    expect(readFileSync(host("/persistent/common/etc/machine-id"), "utf8")).toBe(`${GENERATED}\n`);
    expect(await syncer().sync()).toBe("in-sync");
  });

  it("later boot (either slot) applies the persisted ID into the same /run/machine-id inode", async () => {
    write("/persistent/common/etc/machine-id", `${PERSISTED}\n`);
    const ino = statSync(host("/run/machine-id")).ino;
    expect(await syncer().sync()).toBe("applied");
    expect(readFileSync(host("/run/machine-id"), "utf8")).toBe(`${PERSISTED}\n`);
    // /etc/machine-id is a bind mount of this inode: a rename would leave it showing the old ID
    expect(statSync(host("/run/machine-id")).ino).toBe(ino);
    expect(await syncer().sync()).toBe("in-sync");
  });

  it("persisted-id-garbage-is-kept-aside-and-replaced", async () => {
    write("/persistent/common/etc/machine-id", "not-an-id\n");
    expect(await syncer().sync()).toBe("persisted");
    expect(readFileSync(host("/persistent/common/etc/machine-id.invalid"), "utf8")).toBe("not-an-id\n");
    expect(readFileSync(host("/persistent/common/etc/machine-id"), "utf8")).toBe(`${GENERATED}\n`);
  });

  it("no-valid-id-anywhere-is-an-error-and-writes-nothing", async () => {
    write("/run/machine-id", "uninitialized\n");
    let caught: unknown;
    try {
      await syncer().sync();
    } catch (err) {
      caught = err;
    }
    expect(isOtaError(caught, "OTA_ERR_MACHINE_ID_INVALID")).toBe(true);
    expect(existsSync(host("/persistent/common/etc/machine-id"))).toBe(false);
  });

  it("writable-etc-without-run-file-reports-mismatch-instead-of-writing-the-root", async () => {
    rmSync(host("/run/machine-id"));
    write("/etc/machine-id", `${GENERATED}\n`);
    write("/persistent/common/etc/machine-id", `${PERSISTED}\n`);
    expect(await syncer().sync()).toBe("mismatch");
    expect(readFileSync(host("/etc/machine-id"), "utf8")).toBe(`${GENERATED}\n`);
  });

  it("parses IDs the way systemd accepts them", () => {
    expect(parseMachineId(`${GENERATED}\n`)).toBe(GENERATED);
    expect(parseMachineId(GENERATED.toUpperCase())).toBeUndefined();
    expect(parseMachineId("0".repeat(32))).toBeUndefined();
    expect(parseMachineId("uninitialized")).toBeUndefined();
    expect(parseMachineId("")).toBeUndefined();
  });
});
