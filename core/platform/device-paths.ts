// Pure mapping between device paths ("/dev/mmcblk0p2") and host paths under a sysroot, without touching the disk.
import { posix } from "node:path";

/** Normalises a device path: absolute, no "." or ".." segments, no trailing slash (except "/"). */
export function normalizeDevicePath(devicePath: string): string {
  return posix.resolve("/", devicePath);
}

/** The host path a device path stands for under `sysroot` (an absolute, normalised host directory). */
export function toHostPath(sysroot: string, devicePath: string): string {
  const normal = normalizeDevicePath(devicePath);
  if (sysroot === "/") return normal;
  return normal === "/" ? sysroot : sysroot + normal;
}

/** The device path a host path stands for, or undefined when it lies outside `sysroot`. */
export function toDevicePath(sysroot: string, hostPath: string): string | undefined {
  const normal = posix.resolve(hostPath);
  if (sysroot === "/") return normal;
  if (normal === sysroot) return "/";
  return normal.startsWith(sysroot + "/") ? normal.slice(sysroot.length) : undefined;
}

/** Splits a path into its non-empty components ("/a//b/" → ["a", "b"]). */
export function pathComponents(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}
