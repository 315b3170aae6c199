// The control socket: request/reply, bounded and checked messages, stale sockets, and refusing a planted socket.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NO_DAEMON, sendControlRequest } from "../../../core/control/control-client.js";
import { ControlServer } from "../../../core/control/control-server.js";
import { MAX_CONTROL_LINE_BYTES } from "../../../core/control/control-protocol.js";
import { isOtaError } from "../../../core/errors/index.js";
import { NodePlatform } from "../../../core/platform/node-platform.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";

const SOCKET = "/run/ota-agent/control.sock";
let root: string;
let platform: NodePlatform;
let servers: ControlServer[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ctl-"));
  platform = new NodePlatform({ sysroot: root });
  servers = [];
});
afterEach(async () => {
  for (const s of servers) await s.close();
  await rm(root, { recursive: true, force: true });
});

async function listen(handler = async (cmd: string) => ({ echoed: cmd })): Promise<ControlServer> {
  const s = await ControlServer.listen(platform, SOCKET, handler, new MemoryLogger());
  servers.push(s);
  return s;
}

/** Raw exchange: sends `text`, collects everything until the server closes or 500 ms pass. */
function raw(text: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection(platform.path(SOCKET));
    let got = "";
    socket.on("data", (c: Buffer) => (got += c.toString()));
    socket.on("error", () => resolve(got));
    socket.on("close", () => resolve(got));
    socket.once("connect", () => socket.write(text));
    setTimeout(() => socket.destroy(), 500).unref();
  });
}

describe("control socket", () => {
  it("answers a request through the client, and the socket is mode 0600", async () => {
    const s = await listen();
    expect(await sendControlRequest(platform, SOCKET, "status")).toEqual({ echoed: "status" });
    const { statSync } = await import("node:fs");
    expect(statSync(s.hostPath).mode & 0o777).toBe(0o600);
  });

  it("passes the daemon's error code through to the client", async () => {
    await listen(async () => {
      throw Object.assign(new Error("x"), {});
    });
    const err = await sendControlRequest(platform, SOCKET, "check-update").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_INTERNAL")).toBe(true);
  });

  it("unknown-command and not-json get OTA_ERR_DAEMON_CONTROL_PROTOCOL and the connection is closed", async () => {
    await listen();
    expect(JSON.parse(await raw('{"cmd":"reboot"}\n'))).toMatchObject({ ok: false, error: { code: "OTA_ERR_DAEMON_CONTROL_PROTOCOL" } });
    expect(JSON.parse(await raw("hello\n"))).toMatchObject({ ok: false, error: { code: "OTA_ERR_DAEMON_CONTROL_PROTOCOL" } });
  });

  it("message-too-long is refused without buffering it", async () => {
    await listen();
    const reply = await raw(Buffer.alloc(MAX_CONTROL_LINE_BYTES + 10, 0x61));
    expect(JSON.parse(reply)).toMatchObject({ ok: false, error: { code: "OTA_ERR_DAEMON_CONTROL_PROTOCOL" } });
  });

  it("answers pipelined requests in order with their ids", async () => {
    await listen();
    const reply = await raw('{"cmd":"ping","id":1}\n{"cmd":"status","id":"two"}\n');
    expect(reply.trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 1, ok: true, result: { echoed: "ping" } },
      { id: "two", ok: true, result: { echoed: "status" } },
    ]);
  });

  it("reports no daemon without a socket, and after the daemon closed", async () => {
    expect(await sendControlRequest(platform, SOCKET, "ping")).toBe(NO_DAEMON);
    const s = await listen();
    await s.close();
    servers = [];
    expect(await sendControlRequest(platform, SOCKET, "ping")).toBe(NO_DAEMON);
  });

  it("stale-socket-of-a-killed-daemon is replaced; a live one is refused", async () => {
    await listen();
    await expect(ControlServer.listen(platform, SOCKET, async () => 1, new MemoryLogger())).rejects.toMatchObject({ code: "OTA_ERR_DAEMON_CONTROL" });
    for (const s of servers) await s.close();
    servers = [];
    // A socket file nobody listens on, as a daemon killed with SIGKILL leaves it.
    const killed = spawnSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(platform.path(SOCKET))}, () => process.kill(process.pid, "SIGKILL"))`]);
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(platform.path(SOCKET))).toBe(true);
    await chmod(platform.path(SOCKET), 0o600); // as our daemon made it
    expect(await sendControlRequest(platform, SOCKET, "ping")).toBe(NO_DAEMON);
    await listen();
    expect(await sendControlRequest(platform, SOCKET, "ping")).toEqual({ echoed: "ping" });
  });

  it("socket-path-is-a-regular-file: refused, and the file is left alone", async () => {
    const { mkdir, writeFile, readFile } = await import("node:fs/promises");
    await mkdir(join(root, "run/ota-agent"), { recursive: true });
    await writeFile(platform.path(SOCKET), "precious");
    await expect(ControlServer.listen(platform, SOCKET, async () => 1, new MemoryLogger())).rejects.toMatchObject({ code: "OTA_ERR_DAEMON_CONTROL" });
    expect(await readFile(platform.path(SOCKET), "utf8")).toBe("precious");
  });

  it("planted-socket-with-open-mode is not talked to", async () => {
    const s = await listen();
    await chmod(s.hostPath, 0o666);
    const err = await sendControlRequest(platform, SOCKET, "ping").catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_DAEMON_CONTROL")).toBe(true);
  });

  it("socket-owned-by-another-user is not talked to", async () => {
    const s = await listen();
    const uid = process.getuid?.() ?? 0;
    const other = uid === 0 ? 65534 : uid;
    if (uid === 0) await chown(s.hostPath, other, other);
    const err = await sendControlRequest(platform, SOCKET, "ping", { ownerUid: uid === 0 ? 0 : uid + 1 }).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_DAEMON_CONTROL")).toBe(true);
  });
});
