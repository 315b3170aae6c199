// The journald drop-in carries rpi-image-gen HEAD's persistent-journal values (reference §5.2), nothing else.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const DROPIN = join(import.meta.dirname, "../../systemd/journald.conf.d/ota-agent-persistent.conf");

/** HEAD values; Oct-2025's SystemKeepFree=15% / MaxRetentionSec=2w must not come back (first-boot clock jumps). */
const HEAD: Record<string, string> = {
  Storage: "persistent",
  Compress: "yes",
  SystemMaxUse: "512M",
  SystemMaxFileSize: "20M",
  MaxRetentionSec: "0",
  MaxFileSec: "0",
  RuntimeMaxUse: "128M",
  SyncIntervalSec: "2m",
  RateLimitIntervalSec: "30s",
  RateLimitBurst: "2000",
  Seal: "yes",
};

describe("journald drop-in", () => {
  it("sets exactly rpi-image-gen HEAD's [Journal] values", () => {
    const lines = readFileSync(DROPIN, "utf8").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
    expect(lines[0]).toBe("[Journal]");
    const values = Object.fromEntries(lines.slice(1).map((l) => l.split("=", 2) as [string, string]));
    expect(values).toEqual(HEAD);
  });
});
