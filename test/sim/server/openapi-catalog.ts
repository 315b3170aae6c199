// The published device-API documents (Mender OpenAPI 3 YAML, hawkBit DDI JSON) as a request checker for the dev server.
import { readFile } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import type { IncomingHttpHeaders } from "node:http";
import AjvModule, { type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";

const Ajv = AjvModule.default ?? AjvModule;

/** Where the documents live (copied verbatim from their projects; see its README). */
export const DEFAULT_OPENAPI_DIR = "/work/shared/reference/openapi";

/** The documents the dev server enforces, relative to the OpenAPI dir. */
const DOCUMENTS = [
  "mender-server/deviceauth/devices_v1.yaml",
  "mender-server/deployments/devices_v1.yaml",
  "mender-server/inventory/devices_v1.yaml",
  "hawkbit/ddi-openapi.json",
];

/**
 * Operations whose document-level `security` is a known quirk of the document, not of the server: the deviceauth
 * file declares a root-level DeviceJWT that its only operation (the auth request, which obtains the JWT) cannot
 * satisfy; the legacy file has no security there and the server does not require it.
 */
const SECURITY_QUIRKS = new Set(["POST /api/devices/v1/authentication/auth_requests"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: JsonObject | undefined;
}

export interface Operation {
  /** Which document declares it ("mender-server/deployments/devices_v1.yaml"). */
  document: string;
  method: string;
  /** The path template as the document writes it. */
  template: string;
  operationId: string | undefined;
  parameters: Parameter[];
  body: { required: boolean; media: Map<string, ValidateFunction | undefined> } | undefined;
  /** Alternatives of required schemes; empty = no authentication. */
  security: { scheme: string; type: string; httpScheme?: string }[][];
  regex: RegExp;
  paramNames: string[];
  literalLength: number;
}

export interface CheckedRequest {
  operation: Operation | undefined;
  pathParams: Record<string, string>;
  /** Parsed JSON body when there is one. */
  json: unknown;
  /** Every way the request departs from the documents; empty = accepted. */
  violations: string[];
}

export interface RequestToCheck {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const LOADED = new Map<string, Promise<OpenApiCatalog>>();

/** Loads the documents, resolves relative $refs across files, compiles the request-body schemas with ajv. */
export class OpenApiCatalog {
  readonly operations: readonly Operation[];

  private constructor(operations: Operation[]) {
    this.operations = operations;
  }

  /** Loads once per directory and process: the catalog is immutable, and every dev server of a test file shares it. */
  static load(dir: string = DEFAULT_OPENAPI_DIR): Promise<OpenApiCatalog> {
    let loading = LOADED.get(dir);
    if (!loading) {
      loading = OpenApiCatalog.#loadNow(dir);
      LOADED.set(dir, loading);
      loading.catch(() => LOADED.delete(dir));
    }
    return loading;
  }

  static async #loadNow(dir: string): Promise<OpenApiCatalog> {
    const files = new Map<string, JsonObject>();
    const loadFile = async (path: string): Promise<JsonObject> => {
      const cached = files.get(path);
      if (cached) return cached;
      const text = await readFile(path, "utf8");
      const doc = (path.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as JsonObject;
      files.set(path, doc);
      return doc;
    };
    // Pre-load every file a $ref reaches so resolution can stay synchronous.
    const pending = DOCUMENTS.map((d) => resolvePath(dir, d));
    while (pending.length > 0) {
      const path = pending.pop() as string;
      if (files.has(path)) continue;
      const doc = await loadFile(path);
      for (const ref of collectRefs(doc)) {
        const file = ref.split("#")[0];
        if (file) pending.push(resolvePath(dirname(path), file));
      }
    }
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const operations: Operation[] = [];
    for (const relative of DOCUMENTS) {
      const path = resolvePath(dir, relative);
      const doc = files.get(path) as JsonObject;
      const resolver = new RefResolver(files);
      const paths = (doc["paths"] ?? {}) as JsonObject;
      const schemes = (((doc["components"] as JsonObject | undefined)?.["securitySchemes"] ?? {}) as JsonObject);
      for (const [template, item] of Object.entries(paths)) {
        const pathItem = resolver.deref(item, path) as JsonObject;
        const shared = (pathItem["parameters"] ?? []) as Json[];
        for (const method of ["get", "put", "post", "patch", "delete"]) {
          const op = pathItem[method] as JsonObject | undefined;
          if (!op) continue;
          const params = [...shared, ...((op["parameters"] ?? []) as Json[])].map((p) => {
            const r = resolver.deref(p, path) as JsonObject;
            return {
              name: String(r["name"]),
              in: r["in"] as Parameter["in"],
              required: r["required"] === true || r["in"] === "path",
              schema: r["schema"] ? (toJsonSchema(resolver.deref(r["schema"], path)) as JsonObject) : undefined,
            };
          });
          let body: Operation["body"];
          if (op["requestBody"]) {
            const rb = resolver.deref(op["requestBody"], path) as JsonObject;
            const media = new Map<string, ValidateFunction | undefined>();
            for (const [type, content] of Object.entries((rb["content"] ?? {}) as JsonObject)) {
              const schema = (content as JsonObject)["schema"];
              media.set(type, schema === undefined ? undefined : ajv.compile(toJsonSchema(resolver.deref(schema, path)) as object));
            }
            body = { required: rb["required"] === true, media };
          }
          const key = `${method.toUpperCase()} ${template}`;
          const securityDecl = (op["security"] ?? (SECURITY_QUIRKS.has(key) ? [] : doc["security"]) ?? []) as JsonObject[];
          const security = securityDecl.map((alt) =>
            Object.keys(alt).map((scheme) => {
              const s = resolver.deref(schemes[scheme] ?? {}, path) as JsonObject;
              return { scheme, type: String(s["type"]), httpScheme: typeof s["scheme"] === "string" ? s["scheme"] : undefined };
            }),
          );
          const { regex, names, literalLength } = compileTemplate(template);
          operations.push({
            document: relative,
            method: method.toUpperCase(),
            template,
            operationId: typeof op["operationId"] === "string" ? op["operationId"] : undefined,
            parameters: params,
            body,
            security,
            regex,
            paramNames: names,
            literalLength,
          });
        }
      }
    }
    // Most specific first: ".../artifacts/{fileName}.MD5SUM" before ".../artifacts/{fileName}".
    operations.sort((a, b) => b.literalLength - a.literalLength);
    return new OpenApiCatalog(operations);
  }

  /** Matches the request to an operation and lists every departure from the documents. */
  check(req: RequestToCheck): CheckedRequest {
    const violations: string[] = [];
    const path = req.url.pathname;
    const candidates = this.operations.filter((op) => op.regex.test(path));
    const operation = candidates.find((op) => op.method === req.method);
    if (!operation) {
      violations.push(
        candidates.length > 0
          ? `${req.method} ${path}: method not in the documents (they allow ${candidates.map((c) => c.method).join(", ")})`
          : `${req.method} ${path}: no path of the documents matches`,
      );
      return { operation: undefined, pathParams: {}, json: undefined, violations };
    }
    const match = operation.regex.exec(path) as RegExpExecArray;
    const pathParams: Record<string, string> = {};
    operation.paramNames.forEach((name, i) => (pathParams[name] = decodeURIComponent(match[i + 1] ?? "")));
    const where = `${req.method} ${operation.template}`;
    for (const p of operation.parameters) {
      let value: string | undefined;
      if (p.in === "path") value = pathParams[p.name];
      else if (p.in === "query") value = req.url.searchParams.get(p.name) ?? undefined;
      else if (p.in === "header") {
        const h = req.headers[p.name.toLowerCase()];
        value = Array.isArray(h) ? h[0] : h;
      }
      if (value === undefined || (p.in === "path" && value === "")) {
        if (p.required) violations.push(`${where}: required ${p.in} parameter "${p.name}" is missing`);
        continue;
      }
      const type = p.schema?.["type"];
      if ((type === "integer" && !/^-?\d+$/.test(value)) || (type === "number" && Number.isNaN(Number(value)))) {
        violations.push(`${where}: ${p.in} parameter "${p.name}"="${value}" is not ${type}`);
      }
    }
    if (operation.security.length > 0) {
      const auth = req.headers.authorization ?? "";
      const satisfied = operation.security.some((alt) =>
        alt.every((s) => (s.type === "http" && s.httpScheme === "bearer" ? /^Bearer \S+$/.test(auth) : true)),
      );
      if (!satisfied) violations.push(`${where}: no Authorization: Bearer header (security ${operation.security.map((a) => a.map((s) => s.scheme).join("+")).join(" | ")})`);
    }
    let json: unknown;
    if (req.body.length === 0) {
      if (operation.body?.required) violations.push(`${where}: request body is required`);
    } else if (!operation.body) {
      violations.push(`${where}: the operation takes no request body, got ${req.body.length} bytes`);
    } else {
      const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
      if (!operation.body.media.has(contentType)) {
        violations.push(`${where}: Content-Type "${contentType}" not accepted (${[...operation.body.media.keys()].join(", ")})`);
      } else if (contentType.endsWith("json")) {
        try {
          json = JSON.parse(req.body.toString("utf8"));
        } catch {
          violations.push(`${where}: body is not JSON`);
        }
        const validate = operation.body.media.get(contentType);
        if (json !== undefined && validate && !validate(json)) {
          violations.push(`${where}: body does not match the schema: ${(validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ")}`);
        }
      }
    }
    return { operation, pathParams, json, violations };
  }
}

/** Resolves `$ref`s ("#/a/b", "./x.yaml#/a", "../common/y.yaml#/a") relative to the file that holds them. */
class RefResolver {
  constructor(private readonly files: Map<string, JsonObject>) {}

  /** Follows $refs at this node (not inside it); returns the target node. */
  deref(node: Json, file: string): Json {
    let current = node;
    let currentFile = file;
    for (let hops = 0; isObject(current) && typeof current["$ref"] === "string"; hops++) {
      if (hops > 32) throw new Error(`$ref chain too long at ${file}`);
      const [target, nextFile] = this.lookup(current["$ref"], currentFile);
      current = target;
      currentFile = nextFile;
    }
    return isObject(current) || Array.isArray(current) ? this.inline(current, currentFile, new Set()) : current;
  }

  private lookup(ref: string, file: string): [Json, string] {
    const [filePart, pointer = ""] = ref.split("#");
    const targetFile = filePart ? resolvePath(dirname(file), filePart) : file;
    const doc = this.files.get(targetFile);
    if (!doc) throw new Error(`$ref ${ref} from ${file}: ${targetFile} not loaded`);
    let node: Json = doc;
    for (const raw of pointer.split("/").filter(Boolean)) {
      const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      node = isObject(node) ? (node[key] as Json) : Array.isArray(node) ? (node[Number(key)] as Json) : null;
      if (node === undefined) throw new Error(`$ref ${ref} from ${file}: ${key} not found`);
    }
    return [node, targetFile];
  }

  /** A deep copy with every nested $ref replaced by its target (cycles are an error: these documents have none). */
  private inline(node: Json, file: string, stack: Set<string>): Json {
    if (Array.isArray(node)) return node.map((n) => this.inline(n, file, stack));
    if (!isObject(node)) return node;
    if (typeof node["$ref"] === "string") {
      const key = `${file}#${node["$ref"]}`;
      if (stack.has(key)) throw new Error(`$ref cycle at ${key}`);
      const [target, targetFile] = this.lookup(node["$ref"], file);
      const next = new Set(stack).add(key);
      return this.inline(target, targetFile, next);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) out[k] = this.inline(v, file, stack);
    return out;
  }
}

function isObject(node: unknown): node is JsonObject {
  return typeof node === "object" && node !== null && !Array.isArray(node);
}

function collectRefs(node: Json, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

const KEPT_KEYWORDS = new Set([
  "type", "enum", "const", "required", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems",
  "maxItems", "uniqueItems", "minProperties", "maxProperties", "multipleOf",
]);

/**
 * OpenAPI 3.0 schema → JSON Schema for ajv: `nullable` becomes a "null" type, boolean exclusiveMinimum/Maximum
 * become numeric ones, nested schemas convert recursively, and keywords JSON Schema lacks (example, format,
 * discriminator, readOnly, xml...) are dropped.
 */
export function toJsonSchema(node: Json): Json {
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (KEPT_KEYWORDS.has(key)) out[key] = value;
    else if (key === "properties" && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if ((key === "items" || key === "not") && isObject(value)) out[key] = toJsonSchema(value);
    else if (key === "additionalProperties") out[key] = isObject(value) ? toJsonSchema(value) : value;
    else if ((key === "oneOf" || key === "anyOf" || key === "allOf") && Array.isArray(value)) out[key] = value.map(toJsonSchema);
  }
  if (node["exclusiveMinimum"] === true && typeof node["minimum"] === "number") {
    out["exclusiveMinimum"] = node["minimum"];
    delete out["minimum"];
  }
  if (node["exclusiveMaximum"] === true && typeof node["maximum"] === "number") {
    out["exclusiveMaximum"] = node["maximum"];
    delete out["maximum"];
  }
  if (node["nullable"] === true) {
    if (typeof out["type"] === "string") out["type"] = [out["type"], "null"];
    if (Array.isArray(out["enum"])) out["enum"] = [...out["enum"], null];
    if (out["type"] === undefined && (out["oneOf"] || out["anyOf"] || out["allOf"])) return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

function compileTemplate(template: string): { regex: RegExp; names: string[]; literalLength: number } {
  const names: string[] = [];
  let literalLength = 0;
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (m) {
        names.push(m[1] as string);
        return "([^/]+?)";
      }
      literalLength += part.length;
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { regex: new RegExp(`^${source}$`), names, literalLength };
}
