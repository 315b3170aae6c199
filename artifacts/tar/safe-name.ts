// Rejects tar member names that could escape a directory or that the artifact format forbids.
import { ArtifactError } from "../errors.js";

/** Throws OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE for absolute names, '..' components, backslashes or control characters. */
export function assertSafeName(name: string, where: string): void {
  const bad = name === "" || name.startsWith("/") || name.split("/").includes("..") || name.includes("\\") || /[\x00-\x1f\x7f]/.test(name);
  if (bad) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_NAME_UNSAFE", `${where}: unsafe member name ${JSON.stringify(name.slice(0, 200))}`, {
      details: { member: name.slice(0, 200) },
    });
  }
}

/** Payload file names are flat and limited to letters, digits, '_', '-', '.', ',' (as mender-artifact enforces). */
export const PAYLOAD_FILE_NAME = /^[\w\-.,]+$/;
