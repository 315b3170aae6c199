// Checks an artifact's device type and depends against this device and the installed artifact, before any payload.
import type { ArtifactHeader, InstalledArtifact } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";

/** Throws OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH / _DEPENDS_UNSATISFIED; `installed` undefined skips depends checks. */
export function checkCompatibility(header: ArtifactHeader, deviceType: string | undefined, installed: InstalledArtifact | undefined): void {
  if (deviceType !== undefined && !header.deviceTypes.includes(deviceType)) {
    throw new ArtifactError(
      "OTA_ERR_ARTIFACT_DEVICE_TYPE_MISMATCH",
      `artifact ${header.name} is for device type(s) ${header.deviceTypes.join(", ")}, not ${deviceType}`,
      { details: { member: "header-info", deviceType, compatible: header.deviceTypes } },
    );
  }
  if (installed === undefined) return;
  const unsatisfied = (what: string, wanted: unknown, have: unknown): ArtifactError =>
    new ArtifactError("OTA_ERR_ARTIFACT_DEPENDS_UNSATISFIED", `artifact ${header.name} depends on ${what} ${JSON.stringify(wanted)}; installed: ${JSON.stringify(have ?? null)}`, {
      details: { member: "header", depends: what, wanted, installed: have ?? null },
    });
  if (header.dependsArtifactNames.length > 0 && (installed.name === undefined || !header.dependsArtifactNames.includes(installed.name))) {
    throw unsatisfied("artifact_name", header.dependsArtifactNames, installed.name);
  }
  if (header.dependsGroups.length > 0 && (installed.group === undefined || !header.dependsGroups.includes(installed.group))) {
    throw unsatisfied("artifact_group", header.dependsGroups, installed.group);
  }
  const provides = installed.provides ?? {};
  for (const p of header.payloads) {
    for (const [key, want] of Object.entries(p.depends)) {
      const have = key === "artifact_name" ? (provides[key] ?? installed.name) : key === "artifact_group" ? (provides[key] ?? installed.group) : provides[key];
      const options = Array.isArray(want) ? want : [want];
      if (have === undefined || !options.includes(have)) throw unsatisfied(key, want, have);
    }
  }
}
