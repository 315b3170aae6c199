// The `plugins.server-mender` config section: server, credentials, key type, scripts, intervals and TLS.
import * as z from "zod";

export const MenderConfigSchema = z.strictObject({
  /** Server base URL, e.g. "https://hosted.mender.io" (mender.conf ServerURL). */
  serverUrl: z.url({ protocol: /^https?$/ }),
  /** Tenant token sent with every authentication request (hosted Mender / enterprise). Never logged. */
  tenantToken: z.string().min(1).optional(),
  /** Key type created on first start when no key file exists. */
  keyType: z.enum(["ed25519", "ecdsa-p256", "rsa3072"]).default("ed25519"),
  /** Private key (PEM, mode 0600), device path. Default: `<dataDir>/server-mender/device-key.pem`. */
  keyFile: z.string().min(1).optional(),
  /** Identity script printing key=value lines; when missing the first Ethernet MAC is the identity. */
  identityScript: z.string().min(1).default("/usr/share/mender/identity/mender-device-identity"),
  /** Directory of `mender-inventory-*` executables, each printing key=value lines. */
  inventoryScriptsDir: z.string().min(1).default("/usr/share/mender/inventory"),
  updatePollIntervalSeconds: z.number().int().positive().default(1800),
  inventoryPollIntervalSeconds: z.number().int().positive().default(28800),
  retryPollIntervalSeconds: z.number().int().positive().default(300),
  retryPollCount: z.number().int().min(0).default(0),
  /** Extra CA certificate (PEM, device path) trusted for the server (mender.conf ServerCertificate). */
  serverCertificate: z.string().min(1).optional(),
  /** Disable TLS verification (mender.conf SkipVerify). For test servers only. */
  skipVerify: z.boolean().default(false),
  /** Deadline of each API exchange, seconds. */
  requestTimeoutSeconds: z.number().positive().default(30),
  /** Deadline of each identity or inventory script, seconds. */
  scriptTimeoutSeconds: z.number().positive().default(60),
});

export type MenderConfig = z.output<typeof MenderConfigSchema>;
export type MenderConfigInput = z.input<typeof MenderConfigSchema>;
