// Finds the device type: config `deviceType`, else the `device_type=NAME` line of `<dataDir>/device_type`.
import { posix } from "node:path";
import type { Platform } from "../capabilities/platform.js";
import type { AgentConfig } from "./schema.js";

/** Undefined when neither source names one (commands that need it throw OTA_ERR_DEVICE_TYPE_UNKNOWN). */
export async function readDeviceType(platform: Platform, config: AgentConfig): Promise<string | undefined> {
  if (config.deviceType) return config.deviceType;
  const text = await platform.fs.readText(posix.join(config.dataDir, "device_type"));
  if (text === undefined) return undefined;
  for (const line of text.split("\n")) {
    const match = /^\s*device_type\s*=\s*(.*?)\s*$/.exec(line);
    if (match && match[1]) return match[1];
  }
  return undefined;
}
