// The `plugins.machine-id` config section: where the persisted and the runtime machine IDs live.
import * as z from "zod";

export const MachineIdConfigSchema = z.strictObject({
  /** The ID shared by both slots (rpi-image-gen: /persistent/common/etc/machine-id). Device path. */
  persistentPath: z.string().startsWith("/").default("/persistent/common/etc/machine-id"),
  /** The file systemd bind-mounts over an empty /etc/machine-id on a read-only root. Device path. */
  runtimePath: z.string().startsWith("/").default("/run/machine-id"),
  /** The root's machine-id (read when the runtime file does not exist). Device path. */
  etcPath: z.string().startsWith("/").default("/etc/machine-id"),
});

export type MachineIdConfig = z.output<typeof MachineIdConfigSchema>;
