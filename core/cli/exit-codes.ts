// The exit codes of `ota-agent`, documented in README "Command line"; scripts and systemd units rely on them.
import type { OtaErrorCode } from "../errors/codes.js";
import { OtaError } from "../errors/ota-error.js";

export const EXIT = {
  /** Done. */
  OK: 0,
  /** Failed; the error line says why. */
  FAILURE: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** Nothing to do / not applicable (no update, no trial boot to commit...). */
  NOTHING_TO_DO: 3,
  /** Another agent process holds the lock. */
  LOCKED: 4,
  /** The configuration (or a plugin's section of it) is invalid or unreadable. */
  CONFIG_INVALID: 5,
  /** A plugin could not be loaded or set up. */
  PLUGIN_LOAD: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Partial<Record<OtaErrorCode, ExitCode>> = {
  OTA_ERR_USAGE: EXIT.USAGE,
  OTA_ERR_LOCKED: EXIT.LOCKED,
  OTA_ERR_CONFIG_INVALID: EXIT.CONFIG_INVALID,
  OTA_ERR_CONFIG_UNREADABLE: EXIT.CONFIG_INVALID,
  OTA_ERR_PLUGIN_CONFIG_INVALID: EXIT.CONFIG_INVALID,
  OTA_ERR_PLUGIN_NOT_FOUND: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_MANIFEST_INVALID: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_VERSION_MISMATCH: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_REQUIREMENT_MISSING: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_CONFLICT: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_CYCLE: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_SETUP_FAILED: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_SETUP_TIMEOUT: EXIT.PLUGIN_LOAD,
  OTA_ERR_PLUGIN_EXPORT_INVALID: EXIT.PLUGIN_LOAD,
};

/** The exit code for a thrown error: by OtaError code, else FAILURE. */
export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof OtaError ? (BY_CODE[err.code] ?? EXIT.FAILURE) : EXIT.FAILURE;
}
