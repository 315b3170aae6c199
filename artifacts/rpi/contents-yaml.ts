// Parses otamaker's `_contents_.yaml` (a small, fixed YAML subset: two top-level keys, scalars, a list of mappings).
import { ArtifactError } from "../errors.js";

/** The parsed manifest of an otamaker update. Unknown fields are kept in `extra` and otherwise ignored. */
export interface RpiContents {
  artefact: Record<string, string>;
  payloads: Array<{ name: string; type: string; [key: string]: string }>;
}

function scalar(raw: string): string {
  let v = raw.trim();
  if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) {
    v = v.startsWith('"') ? v.slice(1, -1).replace(/\\"/g, '"').replace(/\\\\/g, "\\") : v.slice(1, -1).replace(/''/g, "'");
  }
  return v;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Parses `_contents_.yaml`; throws OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID naming the line at fault. */
export function parseContentsYaml(text: string): RpiContents {
  const out: RpiContents = { artefact: {}, payloads: [] };
  let section: string | null = null;
  let item: Record<string, string> | null = null;
  const fail = (n: number, msg: string): never => {
    throw new ArtifactError("OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID", `_contents_.yaml line ${n}: ${msg}`, { details: { member: "_contents_.yaml", line: n } });
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, i) => {
    const n = i + 1;
    const line = stripComment(rawLine).replace(/\s+$/, "");
    if (line.trim() === "" || line.trim() === "---") return;
    if (line.includes("\t")) fail(n, "tabs are not allowed for indentation");
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    if (indent === 0) {
      const m = /^([\w.-]+):\s*(.*)$/.exec(body);
      if (m === null) return fail(n, `expected "key:" at top level, got ${JSON.stringify(body.slice(0, 60))}`);
      section = m[1]!;
      item = null;
      if (m[2] !== "" && section === "payloads") fail(n, "payloads must be a list");
      return;
    }
    if (section === "artefact") {
      const m = /^([\w.-]+):\s*(.*)$/.exec(body);
      if (m === null) return fail(n, "expected key: value under artefact");
      out.artefact[m[1]!] = scalar(m[2]!);
    } else if (section === "payloads") {
      let rest = body;
      if (rest.startsWith("- ") || rest === "-") {
        item = {};
        out.payloads.push(item as RpiContents["payloads"][number]);
        rest = rest.slice(1).trim();
        if (rest === "") return;
      }
      if (item === null) return fail(n, "expected a list item (- name: ...)");
      const m = /^([\w.-]+):\s*(.*)$/.exec(rest);
      if (m === null) return fail(n, "expected key: value in a payload item");
      item[m[1]!] = scalar(m[2]!);
    }
    // other top-level sections: ignored, as otamaker ignores unknown fields
  });
  out.payloads.forEach((p, i) => {
    if (typeof p.name !== "string" || p.name === "" || typeof p.type !== "string" || p.type === "") {
      throw new ArtifactError("OTA_ERR_ARTIFACT_RPI_UPDATE_INVALID", `_contents_.yaml: payload ${i} needs a name and a type`, { details: { member: "_contents_.yaml" } });
    }
  });
  return out;
}
