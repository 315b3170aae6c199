// Parses and validates header.tar contents: header-info, state scripts, per-payload type-info and meta-data.
import type { ArtifactHeader, ArtifactScript, PayloadHeader, ReadLimits } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";
import { assertSafeName } from "../tar/safe-name.js";
import type { TarReader } from "../tar/tar-reader.js";

/** The header.tar contents after validation: the ArtifactHeader fields header.tar decides, plus each payload's type. */
export interface ParsedHeaderTar
  extends Pick<
    ArtifactHeader,
    "headerInfo" | "name" | "group" | "deviceTypes" | "dependsArtifactNames" | "dependsGroups" | "payloads" | "scripts"
  > {
  payloadTypes: Array<string | null>;
}

const SCRIPT_NAME = /^(ArtifactInstall|ArtifactReboot|ArtifactCommit|ArtifactRollback|ArtifactRollbackReboot|ArtifactFailure)_(Enter|Leave|Error)_\d\d(_\S*)?$/;

function invalid(member: string, msg: string): ArtifactError {
  return new ArtifactError("OTA_ERR_ARTIFACT_HEADER_INVALID", `${member}: ${msg}`, { details: { member } });
}

/** Parses JSON, mapping syntax errors to OTA_ERR_ARTIFACT_JSON_INVALID. */
export function parseJson(bytes: Buffer, member: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_JSON_INVALID", `${member}: not valid JSON (${(err as Error).message})`, { cause: err, details: { member } });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Lower-cases keys (both Mender readers match keys case-insensitively) and refuses keys outside `allowed`. */
function normalise(obj: Record<string, unknown>, member: string, allowed?: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = k.toLowerCase();
    if (allowed !== undefined && !allowed.includes(key)) throw invalid(member, `unknown key ${JSON.stringify(k)}`);
    if (key in out) throw invalid(member, `key ${JSON.stringify(k)} appears twice`);
    out[key] = v;
  }
  return out;
}

function stringArray(v: unknown, member: string, field: string, required: boolean): string[] {
  if (v === undefined || v === null) {
    if (required) throw invalid(member, `${field} is required`);
    return [];
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw invalid(member, `${field} must be an array of strings`);
  if (required && v.length === 0) throw invalid(member, `${field} must not be empty`);
  return v as string[];
}

function parseHeaderInfo(bytes: Buffer, member: string): Omit<ParsedHeaderTar, "payloads" | "scripts"> {
  const raw = parseJson(bytes, member);
  if (!isObject(raw)) throw invalid(member, "must be a JSON object");
  const info = normalise(raw, member, ["payloads", "artifact_provides", "artifact_depends"]);
  if (!Array.isArray(info.payloads) || info.payloads.length === 0) throw invalid(member, "payloads must be a non-empty array");
  const payloadTypes = info.payloads.map((p, i) => {
    if (!isObject(p)) throw invalid(member, `payloads[${i}] must be an object`);
    const n = normalise(p, member, ["type"]);
    if (n.type === null || n.type === undefined) return null;
    if (typeof n.type !== "string" || n.type === "") throw invalid(member, `payloads[${i}].type must be a non-empty string or null`);
    return n.type;
  });
  if (!isObject(info.artifact_provides)) throw invalid(member, "artifact_provides is required");
  const provides = normalise(info.artifact_provides, member, ["artifact_name", "artifact_group"]);
  if (typeof provides.artifact_name !== "string" || provides.artifact_name === "") throw invalid(member, "artifact_provides.artifact_name must be a non-empty string");
  if (provides.artifact_group !== undefined && typeof provides.artifact_group !== "string") throw invalid(member, "artifact_provides.artifact_group must be a string");
  if (!isObject(info.artifact_depends)) throw invalid(member, "artifact_depends with device_type is required");
  const depends = normalise(info.artifact_depends, member, ["artifact_name", "device_type", "artifact_group"]);
  return {
    headerInfo: raw,
    payloadTypes,
    name: provides.artifact_name,
    group: provides.artifact_group === "" ? undefined : (provides.artifact_group as string | undefined),
    deviceTypes: stringArray(depends.device_type, member, "artifact_depends.device_type", true),
    dependsArtifactNames: stringArray(depends.artifact_name, member, "artifact_depends.artifact_name", false),
    dependsGroups: stringArray(depends.artifact_group, member, "artifact_depends.artifact_group", false),
  };
}

/** Validates a type-info object for payload `index` whose header-info type is `expected` (undefined: augment, any). */
export function parseTypeInfo(bytes: Buffer, member: string, index: number, expected: string | null | undefined): PayloadHeader {
  const raw = parseJson(bytes, member);
  if (!isObject(raw)) throw invalid(member, "must be a JSON object");
  const t = normalise(raw, member);
  let type: string | null;
  if (t.type === undefined || t.type === "" ) {
    // mender-artifact 3.5–4.3 writes "type":"" for rootfs-image: it means "as header-info says".
    type = expected ?? null;
  } else if (t.type === null) {
    if (expected !== undefined && expected !== null) throw invalid(member, `type null does not match header-info type ${JSON.stringify(expected)}`);
    type = null;
  } else if (typeof t.type === "string") {
    if (expected !== undefined && t.type !== expected) throw invalid(member, `type ${JSON.stringify(t.type)} does not match header-info type ${JSON.stringify(expected)}`);
    type = t.type;
  } else {
    throw invalid(member, "type must be a string or null");
  }
  const provides: Record<string, string> = {};
  if (t.artifact_provides !== undefined && t.artifact_provides !== null) {
    if (!isObject(t.artifact_provides)) throw invalid(member, "artifact_provides must be an object");
    for (const [k, v] of Object.entries(t.artifact_provides)) {
      if (typeof v !== "string") throw invalid(member, `artifact_provides.${k} must be a string`);
      provides[k] = v;
    }
  }
  const depends: Record<string, string | string[]> = {};
  if (t.artifact_depends !== undefined && t.artifact_depends !== null) {
    if (!isObject(t.artifact_depends)) throw invalid(member, "artifact_depends must be an object");
    for (const [k, v] of Object.entries(t.artifact_depends)) {
      if (typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"))) depends[k] = v as string | string[];
      else throw invalid(member, `artifact_depends.${k} must be a string or an array of strings`);
    }
  }
  let clearsProvides: string[] | undefined;
  if (t.clears_artifact_provides !== undefined && t.clears_artifact_provides !== null) {
    clearsProvides = stringArray(t.clears_artifact_provides, member, "clears_artifact_provides", false);
  }
  return { index, type, provides, depends, clearsProvides, metaData: null, typeInfo: raw };
}

function parseMetaData(bytes: Buffer, member: string): Record<string, unknown> | null {
  if (bytes.toString("utf8").trim() === "") return null;
  const raw = parseJson(bytes, member);
  if (!isObject(raw)) throw invalid(member, "must be a JSON object");
  return raw;
}

/**
 * Reads every entry of a header tar. `augment` relaxes the payload-type match (augment type-info overrides the type).
 * All buffers are bounded by `limits`.
 */
export async function parseHeaderTar(tar: TarReader, label: string, limits: ReadLimits, augment = false): Promise<ParsedHeaderTar> {
  const first = await tar.next();
  if (first === null || first.name !== "header-info" || first.type !== "file") {
    throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `${label}: the first entry must be header-info, found ${JSON.stringify(first?.name ?? "end of tar")}`, {
      details: { member: `${label}/${first?.name ?? ""}` },
    });
  }
  const base = parseHeaderInfo(await tar.readAll(limits.maxJsonBytes, `${label}/header-info`), `${label}/header-info`);
  const scripts: ArtifactScript[] = [];
  const payloads: PayloadHeader[] = [];
  for (;;) {
    const e = await tar.next();
    if (e === null) break;
    assertSafeName(e.name, label);
    const name = e.name.replace(/\/+$/, "");
    if (e.type === "directory") continue;
    if (e.type !== "file") throw invalid(`${label}/${name}`, "only regular files are allowed in the header");
    const member = `${label}/${name}`;
    const script = /^scripts\/([^/]+)$/.exec(name);
    if (script !== null) {
      if (payloads.length > 0) throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `${member}: state scripts must precede headers/`, { details: { member } });
      if (!SCRIPT_NAME.test(script[1]!)) throw invalid(member, "not a valid artifact state script name (<State>_<Enter|Leave|Error>_NN[_desc])");
      if (scripts.some((s) => s.name === script[1])) throw invalid(member, "appears twice");
      scripts.push({ name: script[1]!, mode: e.mode, content: await tar.readAll(limits.maxScriptBytes, member) });
      continue;
    }
    const hdr = /^headers\/(\d{4})\/([^/]+)$/.exec(name);
    if (hdr === null) throw invalid(member, "unexpected entry in the header");
    const index = Number(hdr[1]);
    const file = hdr[2]!;
    if (file === "type-info") {
      if (index !== payloads.length) throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `${member}: expected headers/${String(payloads.length).padStart(4, "0")}/type-info`, { details: { member } });
      const expected = augment ? undefined : base.payloadTypes[index];
      if (!augment && index >= base.payloadTypes.length) throw invalid(member, `header-info declares only ${base.payloadTypes.length} payload(s)`);
      payloads.push(parseTypeInfo(await tar.readAll(limits.maxJsonBytes, member), member, index, expected));
    } else if (file === "meta-data") {
      const p = payloads[index];
      if (p === undefined || index !== payloads.length - 1) throw new ArtifactError("OTA_ERR_ARTIFACT_MEMBER_ORDER", `${member}: meta-data must follow its type-info`, { details: { member } });
      p.metaData = parseMetaData(await tar.readAll(limits.maxJsonBytes, member), member);
      if (p.type === null && p.metaData !== null) throw invalid(member, "an empty (bootstrap) payload must not carry meta-data");
    } else {
      throw invalid(member, "unsupported file in headers/ (only type-info and meta-data)");
    }
  }
  if (!augment && payloads.length !== base.payloadTypes.length) {
    throw invalid(`${label}/headers`, `header-info declares ${base.payloadTypes.length} payload(s) but ${payloads.length} type-info file(s) were found`);
  }
  return { ...base, payloads, scripts };
}
