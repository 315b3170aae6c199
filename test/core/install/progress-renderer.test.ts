// The CLI progress renderer: a throttled bar on terminals, JSON lines with --json, silence otherwise.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressRenderer, formatBytes } from "../../../core/cli/progress.js";

function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}

describe("ProgressRenderer", () => {
  it("throttles terminal redraws and ends the line on finish", () => {
    const s = sink();
    let now = 0;
    const r = new ProgressRenderer(s.out, { isTty: true, json: false, intervalMs: 100, now: () => now });
    r.update({ bytes: 0, total: 1024 * 1024, rate: 0 });
    now = 50;
    r.update({ bytes: 512 * 1024, total: 1024 * 1024, rate: 1000 }); // within the interval: dropped
    now = 150;
    r.update({ bytes: 1024 * 1024, total: 1024 * 1024, rate: 2048 });
    r.finish();
    const frames = s.text().split("\r").filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[1]).toContain("100%");
    expect(frames[1]).toContain("1.0 MiB / 1.0 MiB");
    expect(s.text().endsWith("\n")).toBe(true);
  });

  it("prints JSON lines with --json", () => {
    const s = sink();
    const r = new ProgressRenderer(s.out, { isTty: false, json: true, now: () => 0 });
    r.update({ bytes: 10, total: 100, rate: 5.4, resumes: 1 });
    expect(JSON.parse(s.text())).toEqual({ event: "progress", bytes: 10, total: 100, rate: 5, resumes: 1 });
  });

  it("prints nothing when not a terminal and not --json", () => {
    const s = sink();
    const r = new ProgressRenderer(s.out, { isTty: false, json: false });
    r.update({ bytes: 10, rate: 1 }, true);
    r.finish();
    expect(s.text()).toBe("");
  });

  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
  });
});
