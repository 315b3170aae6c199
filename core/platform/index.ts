// Public surface of the real Platform.
export { NodePlatform, type NodePlatformOptions } from "./node-platform.js";
export { NodeFileSystem } from "./node-file-system.js";
export { SystemClock } from "./system-clock.js";
export { normalizeDevicePath, toHostPath, toDevicePath } from "./device-paths.js";
export { durableTempPrefix } from "./durable-temp-name.js";
