// systemd unit-name escaping (`systemd-escape` and `systemd-escape --path`) implemented in TypeScript.
import { OtaError } from "../../core/errors/index.js";

/** Bytes systemd keeps as they are in a unit name (its VALID_CHARS minus "-" and "\\", which it escapes). */
const KEEP = /^[A-Za-z0-9:_.]$/;

function hexByte(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, "0")}`;
}

/**
 * `systemd-escape STRING`: "/" becomes "-", a leading "." and every byte outside [A-Za-z0-9:_.] becomes `\xNN`
 * (one escape per UTF-8 byte, lower-case hex), exactly as systemd's unit_name_escape().
 */
export function escapeUnitString(value: string): string {
  const bytes = Buffer.from(value, "utf8");
  let out = "";
  bytes.forEach((byte, index) => {
    const ch = String.fromCharCode(byte);
    if (index === 0 && ch === ".") out += hexByte(byte);
    else if (ch === "/") out += "-";
    else if (byte < 0x80 && KEEP.test(ch)) out += ch;
    else out += hexByte(byte);
  });
  return out;
}

/**
 * `systemd-escape --path PATH`: duplicate slashes and "." components are dropped, leading and trailing slashes
 * stripped, then the rest escaped; the root (or an empty path) is "-". A ".." component cannot be escaped
 * reversibly, so it throws OTA_ERR_PERSIST_UNIT_NAME (systemd refuses it too).
 */
export function escapeUnitPath(path: string): string {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) {
    throw new OtaError("OTA_ERR_PERSIST_UNIT_NAME", `cannot name a unit after path ${JSON.stringify(path)}: it has a ".." component`, {
      details: { path },
    });
  }
  if (parts.length === 0) {
    // systemd refuses a bare "." (not a path at all) but maps "/" and "" to "-".
    if (path.split("/").some((part) => part === ".") && !path.startsWith("/")) {
      throw new OtaError("OTA_ERR_PERSIST_UNIT_NAME", `cannot name a unit after path ${JSON.stringify(path)}: not a path`, {
        details: { path },
      });
    }
    return "-";
  }
  return escapeUnitString(parts.join("/"));
}

/** The mount unit systemd expects for a mount point ("/var/log/journal" → "var-log-journal.mount"). */
export function mountUnitName(where: string): string {
  return `${escapeUnitPath(where)}.mount`;
}
