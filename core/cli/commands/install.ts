// `ota-agent install <file|url>`: standalone install — download, verify, write the other slot, ArtifactInstall.
import { resolve as resolveHost } from "node:path";
import type { CoreCommand } from "../core-command.js";
import { EXIT } from "../exit-codes.js";
import { OtaError, type OtaErrorCode } from "../../errors/index.js";
import type { Deployment } from "../../capabilities/deployment-server.js";
import { TOKENS } from "../../di/tokens.js";
import { resolve, resolveOptional } from "../../di/resolve.js";
import { describeOutcome } from "../../state-machine/outcome-text.js";
import { ProgressRenderer } from "../progress.js";

const USAGE = `ota-agent install <file|url> [--sha256 HEX] [--reboot] [--json]

Installs a Mender Artifact (.mender) or an rpi-image-gen update.tar.zst without a server: streams it, checks
signature, device type, depends and checksums, writes the other slot (never the running one), then runs
ArtifactInstall (for slot payloads: arms a one-shot trial boot when a bootloader plugin is loaded).

  <file|url>      an absolute device path (under --sysroot), a path relative to the current directory
                  (must lie inside the sysroot), file://, http:// or https://
  --sha256 HEX    expected SHA-256 of the whole file; checked as it streams, a mismatch fails at the end with
                  nothing armed. Required for update.tar.zst (it carries no checksums of its own).
  --reboot        after a successful install, reboot into the new slot (trial boot)
  --json          JSON progress lines on stdout, then one JSON result line

Progress: a bar on a terminal; with --json lines {"event":"progress","bytes":N,"total":N,"rate":N}.
Exit codes: 0 installed (the output says "written but not armed" when no bootloader plugin is loaded),
            1 failed (the error line gives the OTA_ERR_* code; nothing was armed, the running slot is untouched),
            2 usage, 4 another ota-agent process (the daemon, another install) holds the agent lock,
            5 config invalid, 6 plugin load error`;

interface InstallArgs {
  uri: string;
  sha256?: string;
  reboot: boolean;
}

function parseArgs(args: readonly string[]): InstallArgs {
  let uri: string | undefined;
  let sha256: string | undefined;
  let reboot = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--sha256" || arg.startsWith("--sha256=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
      if (!value || !/^[0-9a-fA-F]{64}$/.test(value)) {
        throw new OtaError("OTA_ERR_USAGE", "install: --sha256 needs 64 hex digits", { details: { option: "--sha256" } });
      }
      sha256 = value.toLowerCase();
    } else if (arg === "--reboot") reboot = true;
    else if (arg.startsWith("-") && arg !== "-") {
      throw new OtaError("OTA_ERR_USAGE", `install: unknown option ${arg} (see ota-agent install --help)`, {
        details: { option: arg },
      });
    } else if (uri === undefined) uri = arg;
    else throw new OtaError("OTA_ERR_USAGE", `install: unexpected argument ${arg}`, { details: { argument: arg } });
  }
  if (uri === undefined) throw new OtaError("OTA_ERR_USAGE", "install: which file or URL? (see ota-agent install --help)");
  return { uri, reboot, ...(sha256 !== undefined ? { sha256 } : {}) };
}

export const installCommand: CoreCommand = {
  name: "install",
  summary: "install an artifact or update.tar.zst from a file or URL into the other slot (standalone)",
  usage: USAGE,
  readOnly: false,
  async run(args, ctx) {
    const parsed = parseArgs(args);
    const agent = await ctx.agent();
    let uri = parsed.uri;
    if (!/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith("/")) {
      const device = agent.platform.devicePath(resolveHost(uri));
      if (device === undefined) {
        throw new OtaError("OTA_ERR_USAGE", `install: ${uri} lies outside the sysroot ${agent.platform.sysroot}`, {
          details: { path: uri },
        });
      }
      uri = device;
    }
    const io = ctx.io;
    // progress goes to stdout with --json (machine readers), else to stderr so stdout stays the result
    const progress = new ProgressRenderer(io.json ? io.stdout : io.stderr, {
      isTty: io.isTty && (process.stderr as { isTTY?: boolean }).isTTY === true,
      json: io.json,
      columns: (process.stderr as { columns?: number }).columns ?? 80,
    });
    const abort = new AbortController();
    const onSignal = (): void => abort.abort(new OtaError("OTA_ERR_INSTALL_ABORTED", "install cancelled by signal"));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      if (!agent.info.deviceType) {
        throw new OtaError("OTA_ERR_DEVICE_TYPE_UNKNOWN", "no device type: set deviceType in the config or <dataDir>/device_type");
      }
      // Through the deployment runner: the deployment is recorded, ArtifactInstall arms the trial, --reboot reboots
      // into it, and `ota-agent resume` (or the daemon) verifies, health-checks and commits after the reboot.
      const runner = resolve(agent.container, TOKENS.DeploymentRunner);
      const deployment: Deployment = {
        id: `standalone-${agent.platform.clock.now()}`,
        artifactName: "",
        uri,
        policy: { download: "forced", update: "forced" },
        server: "standalone",
        ...(parsed.sha256 !== undefined ? { sha256: parsed.sha256 } : {}),
      };
      const run = await runner.start(deployment, {
        reboot: parsed.reboot,
        signal: abort.signal,
        onProgress: (p) => progress.update(p, p.phase === "done"),
      });
      if (run.kind === "nothing" || !run.download || (run.kind !== "rebooting" && run.kind !== "success")) {
        const e = run.kind !== "nothing" ? run.error : undefined;
        throw new OtaError((e?.code ?? "OTA_ERR_INTERNAL") as OtaErrorCode, `install: ${describeOutcome(run)}`, {
          details: { outcome: run.kind, state: run.kind !== "nothing" ? run.state : undefined },
        });
      }
      const armed = resolveOptional(agent.container, TOKENS.Bootloader) !== undefined || !run.download.payloads.some((p) => p.type === "rpi-ab-slot" || p.type === "rootfs-image");
      const outcome = {
        result: run.download,
        armed,
        reboot: run.kind === "rebooting" ? "Yes" : "No",
        rebooted: run.kind === "rebooting" && run.rebootRequested === true,
      };
      progress.finish();
      const r = outcome.result;
      if (io.json) {
        io.stdout.write(
          JSON.stringify({
            event: "result",
            ok: true,
            artifactName: r.artifactName,
            format: r.format,
            payloads: r.payloads.map((p) => p.type),
            bytes: r.bytesRead,
            // checked whole-file hash; null when none was given (the manifest hashes verified the payloads)
            sha256: r.sha256 || null,
            signedBy: r.signedBy ?? null,
            armed: outcome.armed,
            reboot: outcome.reboot,
            rebooted: outcome.rebooted,
          }) + "\n",
        );
      } else {
        const what = `${r.artifactName} (${r.payloads.map((p) => p.type).join(", ") || "no payload"})`;
        const note = outcome.armed
          ? outcome.reboot !== "No"
            ? outcome.rebooted
              ? "rebooting into it now"
              : "armed: run `ota-agent resume` to reboot into the trial (or install with --reboot)"
            : "installed and committed"
          : "written but not armed: no bootloader plugin is loaded";
        const sum = r.sha256 ? `sha256 ${r.sha256} (checked), ` : "";
        io.stdout.write(`installed ${what}: ${note}\n${sum}${r.bytesRead} bytes\n`);
      }
      return EXIT.OK;
    } finally {
      progress.finish();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
