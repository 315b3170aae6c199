// Every Update Module v3 state and query reaches the executable as exactly `<STATE> <absolute tree>`, cwd = tree.
import { Readable } from "node:stream";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExternalModule } from "../../../plugins/module-external/external-module.js";
import type { NodePlatform } from "../../../core/platform/index.js";
import type { ModuleContext, PayloadFile } from "../../../core/capabilities/update-module.js";
import { isOtaError } from "../../../core/errors/index.js";
import { memoryLogger, moduleContext } from "../../core/install/install-fixtures.js";
import { moduleRoot } from "./module-root.js";

const EXE = "/usr/lib/ota-agent/modules/args-module";
let root: string;
let platform: NodePlatform;
const log = memoryLogger();

beforeEach(async () => {
  ({ root, platform } = await moduleRoot("ota-modstates-", "args-module", EXE));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const treeHost = (): string => join(root, "work/payloads/0000/tree");

function ctx(): ModuleContext {
  return moduleContext("/work/payloads/0000", log, {
    payloadType: "args-module",
    header: { headerInfo: { payloads: [{ type: "args-module" }], artifact_provides: { artifact_name: "r2" } }, typeInfo: { type: "args-module" }, metaData: {} },
  });
}

async function downloaded(): Promise<ExternalModule> {
  const m = new ExternalModule("args-module", EXE, platform, 10_000);
  const one = (async function* (): AsyncGenerator<PayloadFile> {
    yield { name: "a.bin", size: 3, stream: Readable.from([Buffer.from("abc")]) };
  })();
  await m.download(ctx(), one);
  return m;
}

async function answer(query: string, text: string): Promise<void> {
  await writeFile(join(treeHost(), "tmp", `answer-${query}`), text);
}

describe("module-external: every state and query", () => {
  it("each call gets two arguments, STATE and the absolute tree path, and runs in the tree", async () => {
    const m = await downloaded();
    const c = ctx();
    await m.artifactInstall(c);
    await m.needsArtifactReboot(c);
    await m.artifactReboot(c);
    await m.artifactVerifyReboot(c);
    await m.artifactCommit(c);
    await m.supportsRollback(c);
    await m.artifactRollback(c);
    await m.artifactRollbackReboot(c);
    await m.artifactVerifyRollbackReboot(c);
    await m.artifactFailure(c);
    const args = (await readFile(join(treeHost(), "tmp/args"), "utf8")).trim().split("\n");
    await m.cleanup(c);
    const tree = treeHost();
    const states = [
      "ProvidePayloadFileSizes",
      "Download",
      "ArtifactInstall",
      "NeedsArtifactReboot",
      "ArtifactReboot",
      "ArtifactVerifyReboot",
      "ArtifactCommit",
      "SupportsRollback",
      "ArtifactRollback",
      "ArtifactRollbackReboot",
      "ArtifactVerifyRollbackReboot",
      "ArtifactFailure",
    ];
    expect(args).toEqual(states.map((s) => `2 ${s} ${tree} ${tree}`));
  });

  it("query answers: Yes / No / Automatic / empty (default), trailing blank lines and CRLF tolerated", async () => {
    const m = await downloaded();
    const c = ctx();
    expect(await m.needsArtifactReboot(c)).toBe("No");
    expect(await m.supportsRollback(c)).toBe(false);
    await answer("NeedsArtifactReboot", "Automatic\r\n\n");
    expect(await m.needsArtifactReboot(c)).toBe("Automatic");
    await answer("NeedsArtifactReboot", "Yes\n");
    expect(await m.needsArtifactReboot(c)).toBe("Yes");
    await answer("SupportsRollback", "Yes\n");
    expect(await m.supportsRollback(c)).toBe(true);
  });

  it("query-prints-two-lines: OTA_ERR_MODULE_PROTOCOL naming the module and the query", async () => {
    const m = await downloaded();
    await answer("SupportsRollback", "Yes\nYes\n");
    const err = await m.supportsRollback(ctx()).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_PROTOCOL")).toBe(true);
    expect((err as Error).message).toContain("args-module");
    expect((err as Error).message).toContain("SupportsRollback");
  });

  it("query-value-in-wrong-case: 'yes' is not 'Yes' (protocol error, not a silent default)", async () => {
    const m = await downloaded();
    await answer("NeedsArtifactReboot", "yes\n");
    const err = await m.needsArtifactReboot(ctx()).catch((e: unknown) => e);
    expect(isOtaError(err, "OTA_ERR_MODULE_PROTOCOL")).toBe(true);
  });
});
