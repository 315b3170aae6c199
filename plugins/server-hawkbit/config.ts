// The `plugins.server-hawkbit` config section: server, tenant, controller id, token, artifact choice, feedback limits, TLS.
import * as z from "zod";

export const HawkbitConfigSchema = z
  .strictObject({
    /** Server base URL, e.g. "https://hawkbit.example.com". */
    serverUrl: z.url({ protocol: /^https?$/ }),
    tenant: z.string().min(1).default("DEFAULT"),
    /** This device's controller id (the target's name in hawkBit). */
    controllerId: z.string().min(1).regex(/^[^/\s]+$/, "controllerId must not contain '/' or spaces"),
    /** Per-device token: `Authorization: TargetToken <token>`. Never logged. */
    targetToken: z.string().min(1).optional(),
    /** Tenant-wide token: `Authorization: GatewayToken <token>`. Never logged. */
    gatewayToken: z.string().min(1).optional(),
    /** Which artifact of a deployment is ours (regular expression over the file name). */
    artifactPattern: z.string().min(1).default("\\.mender$|^update\\.tar\\.zst$"),
    /** Confirm actions that wait for the device's consent (`confirmationBase`); off = they wait for someone else. */
    autoConfirm: z.boolean().default(true),
    /** Send the token on artifact downloads from the server itself (never to other hosts, e.g. a CDN). */
    sendDownloadAuthentication: z.boolean().default(true),
    /** Poll interval until the server names one (`config.polling.sleep`), seconds. */
    defaultPollSeconds: z.number().int().positive().default(300),
    /** Inventory (configData) interval when the server does not ask earlier, seconds. */
    inventoryPollIntervalSeconds: z.number().int().positive().default(86_400),
    /** Backoff cap after failures, seconds; the server's sleep applies when shorter. */
    retryPollIntervalSeconds: z.number().int().positive().default(300),
    retryPollCount: z.number().int().min(0).default(0),
    /** Progress feedback only when progress moved by this many percent... */
    progressStepPercent: z.number().min(1).max(100).default(10),
    /** ...and at most once per this many seconds (hawkBit keeps at most 1000 statuses per action). */
    minFeedbackIntervalSeconds: z.number().min(0).default(5),
    /** Hard cap of feedback messages per action; only the closing one is sent beyond it. */
    maxFeedbackPerAction: z.number().int().min(10).max(1000).default(200),
    serverCertificate: z.string().min(1).optional(),
    skipVerify: z.boolean().default(false),
    requestTimeoutSeconds: z.number().positive().default(30),
  })
  .refine((c) => !(c.targetToken && c.gatewayToken), { message: "set targetToken or gatewayToken, not both" })
  .refine(
    (c) => {
      try {
        new RegExp(c.artifactPattern);
        return true;
      } catch {
        return false;
      }
    },
    { message: "artifactPattern is not a valid regular expression", path: ["artifactPattern"] },
  );

export type HawkbitConfig = z.output<typeof HawkbitConfigSchema>;
export type HawkbitConfigInput = z.input<typeof HawkbitConfigSchema>;
