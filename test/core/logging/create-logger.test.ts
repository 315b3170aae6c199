// The agent's logger: JSON lines with ISO time and level names, levels honoured, secrets never written.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../core/logging/create-logger.js";

function collect() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe("createLogger", () => {
  it("writes one JSON object per line with level name, time, bindings and event", async () => {
    const sink = collect();
    const log = await createLogger({ level: "info", destination: sink.stream, base: { name: "ota-agent" } });
    log.child({ plugin: "slots-gpt" }).info({ event: "boot-slot-detected", slot: "b" }, "booted slot b");
    log.debug("not shown at info");
    expect(sink.lines).toHaveLength(1);
    const entry = JSON.parse(sink.lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: "info", name: "ota-agent", plugin: "slots-gpt", event: "boot-slot-detected", slot: "b", msg: "booted slot b" });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("secret-in-log-fields is redacted", async () => {
    const sink = collect();
    const log = await createLogger({ level: "info", destination: sink.stream });
    log.info({ token: "t0k3n", request: { headers: { Authorization: "Bearer abc" } }, server: { password: "pw", tenantToken: "tenant-value" } }, "auth");
    log.child({ deviceKey: { privateKey: "-----BEGIN" } }).info("child bindings too");
    const text = sink.lines.join("");
    expect(text).not.toContain("t0k3n");
    expect(text).not.toContain("Bearer abc");
    expect(text).not.toContain('"pw"');
    expect(text).not.toContain("tenant-value");
    expect(text).not.toContain("-----BEGIN");
    expect(text).toContain("[redacted]");
  });

  it("pretty output is human-readable text, not JSON", async () => {
    const chunks: string[] = [];
    const { PassThrough } = await import("node:stream");
    const stream = new PassThrough();
    stream.on("data", (c: Buffer) => chunks.push(c.toString()));
    const log = await createLogger({ level: "info", pretty: true, destination: stream });
    log.info({ event: "agent-start" }, "agent starting");
    await new Promise((r) => setImmediate(r));
    const text = chunks.join("");
    expect(text).toMatch(/INFO.*agent starting/);
    expect(() => JSON.parse(text)).toThrow();
  });
});
