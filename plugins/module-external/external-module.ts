// UpdateModule that runs one Update Module v3 executable: states, queries, the stream-next FIFO protocol, timeouts.
import { constants as fsc } from "node:fs";
import { open as openHost, readdir, type FileHandle as HostHandle } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import type { Platform, RunResult } from "../../core/capabilities/platform.js";
import type { ModuleContext, PayloadFile, RebootNeed, UpdateModule } from "../../core/capabilities/update-module.js";
import { OtaError } from "../../core/errors/index.js";
import { createTree, treeDir } from "./module-tree.js";

/** Payload file names as the artifact format allows them; anything else could escape streams/ or files/. */
const SAFE_NAME = /^[\w\-.,]+$/;
const FIFO_POLL_MS = 20;
const STDERR_TAIL = 20;

type Query = "ProvidePayloadFileSizes" | "NeedsArtifactReboot" | "SupportsRollback";
const ALLOWED: Record<Query, readonly string[]> = {
  ProvidePayloadFileSizes: ["Yes", "No"],
  NeedsArtifactReboot: ["Yes", "No", "Automatic"],
  SupportsRollback: ["Yes", "No"],
};

/** Opens each FIFO of the tree read-write (never blocks on Linux) and closes it: blocked openers get EOF. */
async function unblockFifos(hostTree: string): Promise<void> {
  const names = ["stream-next", ...(await readdir(`${hostTree}/streams`).catch(() => [] as string[])).map((n) => `streams/${n}`)];
  for (const name of names) {
    const handle = await openHost(`${hostTree}/${name}`, fsc.O_RDWR | fsc.O_NONBLOCK).catch(() => undefined);
    await handle?.close();
  }
}

function tail(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 0).slice(-STDERR_TAIL);
}

/**
 * One executable = one payload type. Each call is `<module> <STATE> <tree>` with cwd = tree, under the per-call
 * timeout. Host paths are needed for the FIFOs (Platform.fs has no FIFO primitive): they are derived with
 * `platform.path()` from device paths under the deployment work dir, never from anything in the artifact.
 */
export class ExternalModule implements UpdateModule {
  constructor(
    readonly payloadType: string,
    /** Device path of the executable. */
    readonly executable: string,
    private readonly platform: Platform,
    private readonly timeoutMs: number,
  ) {}

  private async call(ctx: ModuleContext, state: string, query = false): Promise<RunResult> {
    // cwd is a device path (Platform maps it); the module's argument is the host path it can open
    const result = await this.platform.run(this.platform.path(this.executable), [state, this.platform.path(treeDir(ctx))], {
      cwd: treeDir(ctx),
      timeoutMs: this.timeoutMs,
      signal: ctx.signal,
    });
    return this.check(ctx, state, result, query);
  }

  private check(ctx: ModuleContext, state: string, result: RunResult, query: boolean): RunResult {
    const log = ctx.log.child({ module: this.payloadType, state });
    const stderr = tail(result.stderr);
    if (stderr.length > 0) log.info({ event: "module.stderr", lines: stderr });
    if (!query && result.stdout.trim() !== "") log.info({ event: "module.stdout", lines: tail(result.stdout) });
    const details = { module: this.payloadType, executable: this.executable, state, exitCode: result.code, stderr };
    if (result.timedOut) {
      throw new OtaError(
        "OTA_ERR_MODULE_TIMEOUT",
        `update module ${this.payloadType}: ${state} did not finish within ${this.timeoutMs / 1000} s and was killed`,
        { details },
      );
    }
    if (result.code !== 0) {
      const why = result.code === null ? `was killed by ${result.signal ?? "a signal"}` : `exited ${result.code}`;
      throw new OtaError(
        "OTA_ERR_MODULE_FAILED",
        `update module ${this.payloadType}: ${state} ${why}${stderr.length ? `: ${stderr[stderr.length - 1]}` : ""}`,
        { details },
      );
    }
    return result;
  }

  /** A query: empty output = default; exactly one line of an allowed value; anything else is a protocol error. */
  private async query(ctx: ModuleContext, q: Query, fallback: string): Promise<string> {
    const result = await this.call(ctx, q, true);
    const lines = result.stdout.split("\n").map((l) => l.replace(/\r$/, ""));
    const nonEmpty = lines.filter((l) => l.trim() !== "");
    if (nonEmpty.length === 0) return fallback;
    const value = nonEmpty[0]!.trim();
    if (nonEmpty.length > 1 || !ALLOWED[q].includes(value)) {
      throw new OtaError(
        "OTA_ERR_MODULE_PROTOCOL",
        `update module ${this.payloadType}: ${q} must print one line of ${ALLOWED[q].join("/")}, printed ${JSON.stringify(result.stdout.slice(0, 200))}`,
        { details: { module: this.payloadType, state: q, stdout: result.stdout.slice(0, 1000) } },
      );
    }
    return value;
  }

  async download(ctx: ModuleContext, files: AsyncIterable<PayloadFile>): Promise<void> {
    const fs = this.platform.fs;
    const tree = await createTree(this.platform, ctx);
    const withSizes = (await this.query(ctx, "ProvidePayloadFileSizes", "No")) === "Yes";
    const state = withSizes ? "DownloadWithFileSizes" : "Download";
    const hostTree = this.platform.path(tree);
    await fs.mkdir(`${tree}/streams`, { recursive: true });
    await this.platform.runChecked("mkfifo", ["-m", "0600", `${hostTree}/stream-next`]);

    let exited: RunResult | undefined;
    let exitError: unknown;
    // aborted when our side fails (bad data, checksum): a module blocked on a FIFO would otherwise sit until timeout
    const stop = new AbortController();
    const run = this.platform
      .run(this.platform.path(this.executable), [state, hostTree], {
        cwd: tree,
        timeoutMs: this.timeoutMs,
        signal: AbortSignal.any([ctx.signal, stop.signal]),
      })
      .then(
        (r) => {
          exited = r;
          return r;
        },
        (err: unknown) => {
          exitError = err;
          throw err;
        },
      );
    run.catch(() => undefined);

    const moduleGone = (): boolean => exited !== undefined || exitError !== undefined;
    /** Opens a FIFO for writing once the module opened it for reading; undefined when the module exited first. */
    const openWriter = async (hostPath: string): Promise<HostHandle | undefined> => {
      for (;;) {
        try {
          // O_NONBLOCK fails with ENXIO while no reader exists: a blocking open would hang a libuv thread forever
          const probe = await openHost(hostPath, fsc.O_WRONLY | fsc.O_NONBLOCK);
          try {
            // the reader is there now, so a blocking open returns at once; writes then get normal backpressure
            return await openHost(hostPath, fsc.O_WRONLY);
          } finally {
            await probe.close();
          }
        } catch (err) {
          if ((err as { code?: string }).code !== "ENXIO") throw err;
        }
        if (moduleGone()) return undefined;
        ctx.signal.throwIfAborted();
        await new Promise((r) => setTimeout(r, FIFO_POLL_MS));
      }
    };

    let opened = false;
    let storing = false;
    try {
      for await (const file of files) {
        if (!SAFE_NAME.test(file.name) || file.name === "." || file.name === "..") {
          file.stream.destroy();
          throw new OtaError("OTA_ERR_INSTALL_PAYLOAD_INVALID", `payload file name "${file.name}" is not allowed`, {
            details: { file: file.name },
          });
        }
        if (!storing) {
          const streamPath = `${hostTree}/streams/${file.name}`;
          await this.platform.runChecked("mkfifo", ["-m", "0600", streamPath]);
          const next = await openWriter(`${hostTree}/stream-next`);
          if (!next) {
            if (opened || exited?.code !== 0) {
              file.stream.destroy();
              await this.failedDownload(ctx, state, run, opened);
            }
            // exited 0 without ever opening stream-next: the client stores the files itself (protocol step 5)
            storing = true;
            await fs.rm(`${tree}/streams`, { recursive: true, force: true });
            await fs.rm(`${tree}/stream-next`, { force: true });
            await fs.mkdir(`${tree}/files`, { recursive: true });
          } else {
            opened = true;
            try {
              // EPIPE when the module exits between its open and this write: the descriptor is still ours to close
              await next.write(withSizes ? `streams/${file.name} ${file.size}\n` : `streams/${file.name}\n`);
            } finally {
              // the FIFO exists before the line is sent; the module opens it only after reading stream-next to EOF
              await next.close();
            }
            const data = await openWriter(streamPath);
            if (!data) {
              file.stream.destroy();
              await this.failedDownload(ctx, state, run, opened);
              return;
            }
            try {
              await pipeline(file.stream, createWriteStream("", { fd: data.fd, autoClose: false, highWaterMark: 1024 * 1024 }));
            } catch (err) {
              if (moduleGone() || (err as { code?: string }).code === "EPIPE") {
                await this.failedDownload(ctx, state, run, opened);
              }
              throw err;
            } finally {
              await data.close().catch(() => undefined);
            }
            continue;
          }
        }
        // files/ mode
        const out = await fs.open(`${tree}/files/${file.name}`, "w", 0o600);
        try {
          let pos = 0;
          for await (const chunk of file.stream as AsyncIterable<Buffer>) {
            let off = 0;
            while (off < chunk.length) off += await out.write(chunk, off, chunk.length - off, pos + off);
            pos += chunk.length;
          }
          await out.sync();
        } finally {
          await out.close();
        }
      }
      if (!storing) {
        // end of files: an open-and-close of stream-next gives the module its zero-length read
        const last = await openWriter(`${hostTree}/stream-next`);
        if (last) await last.close();
        else if (opened) await this.failedDownload(ctx, state, run, opened);
        else storing = true; // exited without ever reading: fine when it exited 0 (checked below)
      }
      const result = await run;
      this.check(ctx, state, result, false);
      if (storing) await fs.fsyncDir(`${tree}/files`).catch(() => undefined);
    } catch (err) {
      // never leave the module running on our failure (bad data, checksum): the run's own signal is the deployment's
      if (!moduleGone()) {
        stop.abort();
        // a child of the module (`cat stream-next`) blocked opening a FIFO would outlive the kill and hold its
        // output pipes open: give every FIFO a writer that closes at once, so such readers see EOF and exit
        const settled = run.then(
          () => true,
          () => true,
        );
        // repeated: a reader may reach its open() only after the previous round
        for (let i = 0; i < 100; i++) {
          await unblockFifos(hostTree);
          if (await Promise.race([settled, new Promise<false>((r) => setTimeout(() => r(false), 50))])) break;
        }
      }
      throw err;
    } finally {
      await fs.rm(`${tree}/stream-next`, { force: true }).catch(() => undefined);
    }
  }

  /** The module exited (or stopped reading) before taking every stream. */
  private async failedDownload(ctx: ModuleContext, state: string, run: Promise<RunResult>, opened: boolean): Promise<never> {
    const result = await run;
    this.check(ctx, state, result, false);
    throw new OtaError(
      "OTA_ERR_MODULE_PROTOCOL",
      `update module ${this.payloadType}: ${state} ${opened ? "started downloading, but did not finish" : "exited without reading its streams"}`,
      { details: { module: this.payloadType, state, stderr: tail(result.stderr) } },
    );
  }

  async artifactInstall(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactInstall");
  }
  async needsArtifactReboot(ctx: ModuleContext): Promise<RebootNeed> {
    return (await this.query(ctx, "NeedsArtifactReboot", "No")) as RebootNeed;
  }
  async artifactReboot(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactReboot");
  }
  async artifactVerifyReboot(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactVerifyReboot");
  }
  async artifactCommit(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactCommit");
  }
  async supportsRollback(ctx: ModuleContext): Promise<boolean> {
    return (await this.query(ctx, "SupportsRollback", "No")) === "Yes";
  }
  async artifactRollback(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactRollback");
  }
  async artifactRollbackReboot(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactRollbackReboot");
  }
  async artifactVerifyRollbackReboot(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactVerifyRollbackReboot");
  }
  async artifactFailure(ctx: ModuleContext): Promise<void> {
    await this.call(ctx, "ArtifactFailure");
  }
  async cleanup(ctx: ModuleContext): Promise<void> {
    // Mender skips Cleanup silently when the tree is gone
    if (!(await this.platform.fs.exists(treeDir(ctx)))) return;
    await this.call(ctx, "Cleanup");
  }
}
