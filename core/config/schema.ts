// The agent's configuration schema: every key, its default and what it means (the one place defaults live).
import * as z from "zod";

const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/**
 * `/etc/ota-agent/config.json` (or `--config FILE`, or `OTA_AGENT_CONFIG`). Unknown keys are rejected with their
 * JSON path. Each plugin's section lives under `plugins.<plugin-name>` and is checked by that plugin's schema.
 * Areas owned by later work add their keys in their own block below.
 */
export const AgentConfigSchema = z.strictObject({
  /** Device type, matched against artifacts' device_type; else read from `<dataDir>/device_type`. */
  deviceType: z.string().min(1).optional(),
  /** Agent state, shared by both slots (never the per-slot /var). Device path. */
  dataDir: z.string().min(1).default("/persistent/common/ota-agent"),
  /** Root of every OS path (/proc, /sys, /dev, /bootfs, /etc, dataDir). "/" on a device. */
  sysroot: z.string().min(1).default("/"),
  /**
   * Command run to reboot, with the reboot argument appended ("0 tryboot"). Default on "/": systemctl reboot.
   * Required for any other sysroot (the simulated device's firmware); the host is never rebooted from a sysroot.
   */
  rebootCommand: z.array(z.string().min(1)).min(1).optional(),
  log: z
    .strictObject({
      /** Minimum level; OTA_AGENT_LOG_LEVEL overrides. */
      level: logLevel.default("info"),
      /** Human-readable lines instead of JSON (default: when stdout is a terminal). */
      pretty: z.boolean().optional(),
    })
    .prefault({}),
  /** Built-in plugins not to load, by name. */
  disable: z.array(z.string().min(1)).default([]),
  /** Extra plugins to load: file paths (relative to the config file) or npm package names. */
  load: z.array(z.string().min(1)).default([]),
  /** Default set-up timeout for each plugin, ms. */
  pluginSetupTimeoutMs: z.number().int().positive().default(10_000),
  /** Per-plugin config sections, keyed by plugin name. */
  plugins: z.record(z.string(), z.unknown()).default({}),

  // --- artifacts and install (issues 3, 5) ---
  /** How artifacts are checked before any payload byte reaches an update module. */
  artifacts: z
    .strictObject({
      /** PEM public keys (device paths), tried in order (key rotation). Non-empty → unsigned artifacts refused. */
      verifyKeys: z.array(z.string().min(1)).default([]),
      /** Refuse unsigned artifacts even without verify keys (then every artifact is refused: a lock-down switch). */
      requireSignature: z.boolean().default(false),
    })
    .prefault({}),
  /** The install pipeline: sources and slot writers. */
  install: z
    .strictObject({
      /** Read each frame of the target first and write it only when it differs (less flash wear). */
      readCompareWrite: z.boolean().default(true),
      /** After fsync, read the written ranges back and compare their SHA-256 (doubles the I/O). */
      readBackVerify: z.boolean().default(false),
      /** Size of one read-compare-write frame in bytes (1 MiB, like mender's optimized writer). */
      frameBytes: z.number().int().min(4096).max(16 * 1024 * 1024).default(1024 * 1024),
      http: z
        .strictObject({
          /** Time to connect (TCP + TLS) before the attempt counts as failed, ms. */
          connectTimeoutMs: z.number().int().positive().default(30_000),
          /** No byte for this long (headers or body) → the connection is dropped and resumed, ms. */
          stallTimeoutMs: z.number().int().positive().default(60_000),
          /** Consecutive failed attempts (without progress) before the download fails. */
          retries: z.number().int().min(0).default(10),
          /** First retry delay, doubled each consecutive failure (capped at 60 s), ms. */
          backoffMs: z.number().int().min(0).default(1_000),
          /** Extra CA bundle (PEM, device path) trusted besides the system store. TLS verification is always on. */
          caFile: z.string().min(1).optional(),
        })
        .prefault({}),
    })
    .prefault({}),

  // --- state machine, scripts, health (issue 6) ---
  /** The deployment state machine (core/state-machine). */
  stateMachine: z
    .strictObject({
      /**
       * Saves of one deployment record (each state save and each resume counts) before the deployment is stopped
       * as a state loop (OTA_ERR_STATE_LOOP → failure path, artifact marked _INCONSISTENT). Mender uses 28.
       */
      maxStoreCount: z.number().int().min(8).max(1000).default(28),
      /** Lines of the deployment log kept in the record (the tail), uploaded to the server on failure. */
      logLines: z.number().int().min(10).max(10_000).default(200),
      /**
       * Files read on first run to initialise the installed artifact's provides (`key=value` lines,
       * `artifact_name=...`), device paths, first existing wins.
       */
      artifactInfo: z.array(z.string().min(1)).default(["/etc/ota-agent/artifact_info", "/etc/mender/artifact_info"]),
    })
    .prefault({}),
  /** State scripts (Mender's names and rules: `<State>_<Enter|Leave|Error>_NN[_suffix]`). */
  stateScripts: z
    .strictObject({
      /** Root-filesystem scripts (Idle, Sync, Download and any Artifact* not shipped in the artifact). Device path. */
      dir: z.string().min(1).default("/etc/ota-agent/scripts"),
      /** One script run may take this long before it is killed (counts as a failure), ms. Mender: 1 h. */
      timeoutMs: z.number().int().positive().default(3_600_000),
      /** Exit code 21 = "retry later": rerun after this delay, ms. Mender: 60 s. */
      retryIntervalMs: z.number().int().min(0).default(60_000),
      /** ...for at most this long in total, then it is a failure, ms. Mender: 30 min. */
      retryTimeoutMs: z.number().int().min(0).default(1_800_000),
    })
    .prefault({}),
  /** Health checks of a trial boot before commit: every `health-check` capability plus executables in `scriptsDir`. */
  health: z
    .strictObject({
      /** Executables run in name order; exit 0 = healthy. Device path; a missing dir means no script checks. */
      scriptsDir: z.string().min(1).default("/etc/ota-agent/health.d"),
      /** All checks together must pass within this deadline, else the trial is rolled back, ms. */
      deadlineMs: z.number().int().positive().default(300_000),
    })
    .prefault({}),

  // --- scheduling and daemon (issue 7) ---
  /** When the daemon polls, and when it may install (core/scheduler). */
  schedule: z
    .strictObject({
      /** Overrides the server's update poll interval, s (else Mender's UpdatePollIntervalSeconds / hawkBit's sleep). */
      updatePollIntervalSeconds: z.number().int().positive().optional(),
      /** Overrides the server's inventory interval, s (else Mender's InventoryPollIntervalSeconds). */
      inventoryPollIntervalSeconds: z.number().int().positive().optional(),
      /** Each regular poll delay is stretched by a random 0..N percent, so a fleet powered on together spreads out. */
      jitterPercent: z.number().min(0).max(50).default(10),
      /**
       * Windows in which installing may start (with installPolicy "in-window"): a cron pattern for each opening
       * (croner syntax, 5 or 6 fields), how long it stays open, and the IANA time zone it is read in (default UTC).
       */
      maintenanceWindows: z
        .array(
          z.strictObject({
            cron: z.string().min(9),
            durationMinutes: z.number().positive().max(7 * 24 * 60),
            timeZone: z.string().min(1).optional(),
          }),
        )
        .default([]),
      /** "immediately": install as soon as downloaded; "in-window": download any time, install in a window. */
      installPolicy: z.enum(["immediately", "in-window"]).default("immediately"),
      /**
       * A device without a fleet server updates itself: it checks `uri` (a .mender file path or http(s) URL) and
       * installs it when its artifact name differs from the installed one.
       */
      selfUpdate: z
        .strictObject({
          /** The artifact: a device path, file:// or http(s):// URL (the same artifact name = nothing to do). */
          uri: z.string().min(1),
          /** Check at these times (croner pattern) instead of every `intervalSeconds`. */
          cron: z.string().min(9).optional(),
          /** Time zone of `cron` (IANA name, default UTC). */
          timeZone: z.string().min(1).optional(),
          /** Check interval without `cron`, s. */
          intervalSeconds: z.number().int().positive().default(3600),
          /**
           * A small file holding the artifact's SHA-256 (`sha256sum` output or the bare hex): fetched first, and
           * the artifact is only opened when it changed; the download is then checked against it.
           */
          checkSha256Uri: z.string().min(1).optional(),
        })
        .optional(),
    })
    .prefault({}),
  /** `ota-agent daemon`: the control socket and stopping. */
  daemon: z
    .strictObject({
      /** Unix socket for check-update / send-inventory / status (mode 0600, root only). Device path. */
      controlSocket: z.string().min(1).default("/run/ota-agent/control.sock"),
      /** After SIGTERM, the running step (a download, a module call) gets this long to stop before exit, ms. */
      stopTimeoutMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
});

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;
