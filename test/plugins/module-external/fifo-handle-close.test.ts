// FIFO descriptors the module driver opens are closed on every path, including a failed write or a failed second open.
import { Readable } from "node:stream";
import { rm } from "node:fs/promises";
import type * as FsPromises from "node:fs/promises";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { ExternalModule } from "../../../plugins/module-external/external-module.js";
import type { NodePlatform } from "../../../core/platform/index.js";
import type { ModuleContext, PayloadFile } from "../../../core/capabilities/update-module.js";
import { memoryLogger, moduleContext, pseudoRandom } from "../../core/install/install-fixtures.js";
import { moduleRoot } from "./module-root.js";

/** What the next blocking write-only open of stream-next does: a handle whose writes fail, or a failed open. */
type Fault = "write-epipe" | "open-fails" | undefined;

/** Every FileHandle node:fs/promises `open` handed out in this file, with whether it was closed. */
const opened = vi.hoisted(() => ({ handles: [] as { path: string; closed: () => boolean }[], fault: undefined as Fault }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const { constants } = await import("node:fs");
  const open = async (...args: Parameters<typeof real.open>): Promise<Awaited<ReturnType<typeof real.open>>> => {
    const [path, flags] = args;
    const blockingFifoWrite = String(path).endsWith("/stream-next") && flags === constants.O_WRONLY;
    if (blockingFifoWrite && opened.fault === "open-fails") {
      opened.fault = undefined;
      throw Object.assign(new Error(`EINTR: interrupted system call, open '${String(path)}'`), { code: "EINTR" });
    }
    const handle = await real.open(...args);
    let closed = false;
    const close = handle.close.bind(handle);
    handle.close = (): Promise<void> => {
      closed = true;
      return close();
    };
    opened.handles.push({ path: String(path), closed: () => closed });
    if (blockingFifoWrite && opened.fault === "write-epipe") {
      opened.fault = undefined;
      // the module closed its read end between our open and the write
      handle.write = (() =>
        Promise.reject(Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" }))) as typeof handle.write;
    }
    return handle;
  };
  return { ...real, default: { ...real, open }, open };
});

const EXE = "/usr/share/mender/modules/v3/test-module";
let root: string;
let platform: NodePlatform;
const log = memoryLogger();

beforeEach(async () => {
  ({ root, platform } = await moduleRoot("ota-modext-fd-", "test-module", EXE));
  opened.handles.length = 0;
  opened.fault = undefined;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function ctx(): ModuleContext {
  return moduleContext("/work/payloads/0000", log, {
    payloadType: "test-module",
    header: { headerInfo: { payloads: [{ type: "test-module" }] }, typeInfo: { type: "test-module" }, metaData: {} },
  });
}

function oneFile(): AsyncIterable<PayloadFile> {
  const data = pseudoRandom(50_000, 3);
  return (async function* () {
    yield { name: "a.bin", size: data.length, stream: Readable.from([data]) };
  })();
}

function unclosed(): string[] {
  return opened.handles.filter((h) => !h.closed()).map((h) => h.path);
}

it("stream-next-write-fails (module gone after opening it): the download fails and no descriptor is left open", async () => {
  opened.fault = "write-epipe";
  const err = await new ExternalModule("test-module", EXE, platform, 10_000).download(ctx(), oneFile()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  expect(opened.handles.some((h) => h.path.endsWith("/stream-next"))).toBe(true);
  expect(unclosed()).toEqual([]);
});

it("stream-next-second-open-fails: the download fails and the non-blocking probe is closed", async () => {
  opened.fault = "open-fails";
  const err = await new ExternalModule("test-module", EXE, platform, 10_000).download(ctx(), oneFile()).catch((e: unknown) => e);
  expect((err as Error).message).toContain("EINTR");
  expect(opened.handles.some((h) => h.path.endsWith("/stream-next"))).toBe(true);
  expect(unclosed()).toEqual([]);
});

it("a normal streamed download closes every descriptor it opened", async () => {
  await new ExternalModule("test-module", EXE, platform, 10_000).download(ctx(), oneFile());
  expect(opened.handles.length).toBeGreaterThan(0);
  expect(unclosed()).toEqual([]);
});
