// The persisted deployment record: what a restarted agent needs to continue (or unwind) one deployment.
import * as z from "zod";
import type { Deployment } from "../capabilities/deployment-server.js";
import { OtaError } from "../errors/index.js";
import type { DownloadResult } from "../install/download-types.js";
import { STATE_NAMES } from "./events.js";

/** Store keys, with their history. Never reuse a retired key. */
export const RECORD_KEYS = {
  /** The in-progress deployment (since 0.1.0). Removed at the end of the deployment. */
  deployment: "deployment",
  /** The installed artifact's name, group and provides (since 0.1.0). Kept forever. */
  provides: "provides",
  /** The outcome of the last finished deployment, for `status` (since 0.1.0). */
  lastResult: "last-result",
} as const;

export const DEPLOYMENT_RECORD_SCHEMA_VERSION = 1;

const slotName = z.enum(["a", "b"]);

const logLine = z.object({ timestamp: z.string(), level: z.string(), message: z.string() });

const deployment = z.looseObject({
  id: z.string().min(1),
  artifactName: z.string(),
  uri: z.string(),
  sha256: z.string().optional(),
  size: z.number().optional(),
  policy: z.looseObject({ download: z.string(), update: z.string() }),
  server: z.string(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

const downloadResult = z.looseObject({
  artifactName: z.string(),
  artifactGroup: z.string().optional(),
  deviceTypes: z.array(z.string()),
  provides: z.record(z.string(), z.string()),
  clearsProvides: z.array(z.string()),
  depends: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  payloads: z.array(
    z.looseObject({
      index: z.number().int().min(0),
      type: z.string(),
      typeInfo: z.record(z.string(), z.unknown()),
      metaData: z.record(z.string(), z.unknown()),
    }),
  ),
  headerInfo: z.record(z.string(), z.unknown()).optional(),
  scriptsDir: z.string().optional(),
  signedBy: z.string().optional(),
  bytesRead: z.number(),
  sha256: z.string(),
  format: z.enum(["mender", "rpi-update"]),
});

/**
 * Mender's deployment tracking, as a value: no-failures → failed (first failure) → rollback-attempted (a rollback
 * started) → rollback-failed (any failure after that). A failed deployment whose rollback did not succeed marks the
 * artifact `<name>_INCONSISTENT`.
 */
export const TRACKING = ["no-failures", "failed", "rollback-attempted", "rollback-failed"] as const;
export type Tracking = (typeof TRACKING)[number];

export const OUTCOMES = ["success", "failure", "rolled-back", "inconsistent"] as const;
export type DeploymentResult = (typeof OUTCOMES)[number];

const providesRecord = z.object({
  schemaVersion: z.literal(1),
  artifactName: z.string(),
  artifactGroup: z.string().optional(),
  provides: z.record(z.string(), z.string()),
});

export const ProvidesRecordSchema = providesRecord;
export type ProvidesRecord = z.infer<typeof providesRecord>;

export const DeploymentRecordSchema = z.object({
  schemaVersion: z.literal(DEPLOYMENT_RECORD_SCHEMA_VERSION),
  deployment,
  /** The last persisted state (saved BEFORE that state acted). */
  state: z.enum(STATE_NAMES),
  /** Saves plus resumes of this record; past `stateMachine.maxStoreCount` → OTA_ERR_STATE_LOOP. */
  storeCount: z.number().int().min(0),
  /** Standalone (`ota-agent install`) or for a server plugin (its name in deployment.server). */
  standalone: z.boolean(),
  /** Whether the machine may reboot by itself; false: it stops at AwaitReboot until `resume`. */
  rebootAllowed: z.boolean(),
  /** Present once Download succeeded. */
  download: downloadResult.optional(),
  /** Device path of this deployment's work dir (module trees, artifact scripts). */
  workDir: z.string(),
  /** Slots seen at the start: booted (= committed) and the one the trial must boot. Absent without a bootloader. */
  slots: z.object({ from: slotName, to: slotName }).optional(),
  progress: z.object({
    /** ArtifactInstall was entered: from here on a failure takes the rollback path. */
    installStarted: z.boolean(),
    /** ArtifactReboot was entered: a rollback then needs a reboot to leave the trial. */
    rebootStarted: z.boolean(),
    /** The modules' ArtifactCommit succeeded: past the point of no return. */
    committed: z.boolean(),
  }),
  tracking: z.enum(TRACKING),
  /** The first error of the deployment (what the operator sees as "why"). */
  error: z.object({ code: z.string(), message: z.string(), state: z.string() }).optional(),
  /** The server said "aborted". */
  aborted: z.boolean().default(false),
  /** The failure path itself kept being interrupted past the loop limit: finish without scripts and modules. */
  abandoned: z.boolean().optional(),
  /** The provides to store at Cleanup (set before Cleanup is saved, so both land "at once"). */
  finalProvides: providesRecord.optional(),
  result: z.enum(OUTCOMES).optional(),
  /** The tail of the deployment log (uploaded on failure). */
  log: z.array(logLine),
  startedAt: z.string(),
  updatedAt: z.string(),
});

/** The record, with the deployment and download result typed by their own interfaces (the schema keeps unknown keys). */
export type DeploymentRecord = Omit<z.infer<typeof DeploymentRecordSchema>, "deployment" | "download"> & {
  deployment: Deployment;
  download?: DownloadResult;
};

/** Parses a stored record; a record from a newer agent is OTA_ERR_STORE_SCHEMA, anything else malformed OTA_ERR_STATE_RECORD_INVALID. */
export function parseDeploymentRecord(raw: unknown): DeploymentRecord {
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === "number" && version > DEPLOYMENT_RECORD_SCHEMA_VERSION) {
    throw new OtaError("OTA_ERR_STORE_SCHEMA", `deployment record has schema version ${version}; this agent knows ${DEPLOYMENT_RECORD_SCHEMA_VERSION}`);
  }
  const parsed = DeploymentRecordSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OtaError("OTA_ERR_STATE_RECORD_INVALID", `deployment record is malformed: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data as DeploymentRecord;
}

export function parseProvidesRecord(raw: unknown): ProvidesRecord {
  return providesRecord.parse(raw);
}

export const LastResultSchema = z.object({
  schemaVersion: z.literal(1),
  deploymentId: z.string(),
  artifactName: z.string(),
  result: z.enum(OUTCOMES),
  error: z.object({ code: z.string(), message: z.string(), state: z.string() }).optional(),
  finishedAt: z.string(),
});
export type LastResult = z.infer<typeof LastResultSchema>;
