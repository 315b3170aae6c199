// AgentInfo: facts about this agent and device that plugins may read (version, device type, data paths).
export interface AgentInfo {
  /** The agent's own semver. */
  version: string;
  /** Device type, from config `deviceType` or `<dataDir>/device_type`; undefined if neither is set. */
  deviceType?: string;
  /** The data dir as a device path (shared by both slots). */
  dataDir: string;
  /** The sysroot every OS path is rooted at ("/" on a device). */
  sysroot: string;
}
