// The dev server itself: it rejects what the published documents reject, and serves ranges like object storage.
import { afterEach, describe, expect, it } from "vitest";
import { request } from "node:http";
import { DevServer } from "./dev-server.js";
import { OpenApiCatalog, toJsonSchema } from "./openapi-catalog.js";

let server: DevServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("dev server request validation", () => {
  it("malformed-status-body-rejected: a status the documents do not list is a 400 and a recorded violation", async () => {
    server = await DevServer.start();
    const r = await send(`${server.url}/api/devices/v1/deployments/device/deployments/abc/status`, "PUT", {
      Authorization: "Bearer a.b.c",
      "Content-Type": "application/json",
    }, JSON.stringify({ status: "exploded" }));
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toContain("/status must be equal to one of the allowed values");
  });

  it("missing-query-and-jwt-rejected: v1 next without device_type and without a Bearer token", async () => {
    server = await DevServer.start();
    const r = await send(`${server.url}/api/devices/v1/deployments/device/deployments/next?artifact_name=a`, "GET", {});
    expect(r.status).toBe(400);
    expect(server.violations).toHaveLength(2);
  });

  it("auth-without-signature-rejected: X-MEN-Signature is a required header", async () => {
    server = await DevServer.start();
    const r = await send(`${server.url}/api/devices/v1/authentication/auth_requests`, "POST", { "Content-Type": "application/json" }, '{"id_data":"{}","pubkey":"x"}');
    expect(r.status).toBe(400);
    expect(server.violations[0]).toContain('"X-MEN-Signature" is missing');
  });

  it("unknown-path-and-method-rejected", async () => {
    server = await DevServer.start();
    expect((await send(`${server.url}/api/devices/v1/nothing`, "GET", {})).status).toBe(400);
    expect((await send(`${server.url}/api/devices/v1/inventory/device/attributes`, "POST", { Authorization: "Bearer x" }, "[]")).status).toBe(400);
    expect(server.violations).toHaveLength(2);
  });

  it("hawkbit-feedback-wrong-execution-rejected: DDI execution values are checked, and actionId must be an integer", async () => {
    server = await DevServer.start();
    const r = await send(`${server.url}/DEFAULT/controller/v1/dev1/deploymentBase/x1/feedback`, "POST", { "Content-Type": "application/json" }, JSON.stringify({ status: { execution: "downloading", result: { finished: "none" } } }));
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toMatch(/actionId.*not integer/);
    expect(server.violations.join("\n")).toContain("/status/execution must be equal to one of the allowed values");
  });

  it("auth-id-data-as-object-rejected: id_data must be a JSON string, not an object", async () => {
    server = await DevServer.start();
    const body = JSON.stringify({ id_data: { mac: "52:54:00:12:34:56" }, pubkey: "x" });
    const r = await send(`${server.url}/api/devices/v1/authentication/auth_requests`, "POST", { "Content-Type": "application/json", "X-MEN-Signature": "c2ln" }, body);
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toContain("/id_data must be string");
  });

  it("log-message-without-level-rejected: every deployment log message needs timestamp, level and message", async () => {
    server = await DevServer.start();
    const body = JSON.stringify({ messages: [{ timestamp: "2026-11-21T12:00:00Z", message: "no level" }] });
    const r = await send(`${server.url}/api/devices/v1/deployments/device/deployments/abc/log`, "PUT", { Authorization: "Bearer a.b.c", "Content-Type": "application/json" }, body);
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toContain("must have required property 'level'");
  });

  it("inventory-wrong-content-type-rejected: the attributes must be sent as application/json", async () => {
    server = await DevServer.start();
    const r = await send(`${server.url}/api/devices/v1/inventory/device/attributes`, "PUT", { Authorization: "Bearer a.b.c", "Content-Type": "text/plain" }, '[{"name":"a","value":"b"}]');
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toContain('Content-Type "text/plain" not accepted');
  });

  it("v2-next-provides-not-strings-rejected: the enterprise endpoint checks device_provides as mender.md §2.2 describes", async () => {
    server = await DevServer.start({ mender: { autoAccept: true, enterprise: true } });
    const { generateKeyPairSync, sign } = await import("node:crypto");
    const key = generateKeyPairSync("ed25519");
    const auth = JSON.stringify({ id_data: '{"mac":"x"}', pubkey: key.publicKey.export({ type: "spki", format: "pem" }).toString() });
    const jwt = await send(`${server.url}/api/devices/v1/authentication/auth_requests`, "POST", {
      "Content-Type": "application/json",
      "X-MEN-Signature": sign(null, Buffer.from(auth), key.privateKey).toString("base64"),
    }, auth);
    expect(jwt.status).toBe(200);
    const r = await send(`${server.url}/api/devices/v2/deployments/device/deployments/next`, "POST", { Authorization: `Bearer ${jwt.body}`, "Content-Type": "application/json" }, JSON.stringify({ device_provides: { device_type: "pi5", artifact_name: 7 } }));
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toContain("device_provides.artifact_name");
  });

  it("presigned-download-with-authorization-rejected: object storage refuses a second auth mechanism", async () => {
    server = await DevServer.start();
    const id = server.mender.createDeployment({ artifactName: "a", artifact: Buffer.from("bytes"), deviceTypes: ["pi5"] });
    const r = await send(`${server.url}/download/${id}?x-expires=1&x-token=x`, "GET", { Authorization: "Bearer a.b.c" });
    expect(r.status).toBe(400);
    expect(server.violations.join("\n")).toContain("presigned download carries an Authorization header");
  });

  it("bad-jwt-401: a well-formed request with a forged token is refused like a real server", async () => {
    server = await DevServer.start();
    const r = await send(`${server.url}/api/devices/v1/deployments/device/deployments/next?artifact_name=a&device_type=b`, "GET", { Authorization: "Bearer a.b.c" });
    expect(r.status).toBe(401);
    expect(server.violations).toEqual([]);
  });

  it("wrong-signature-401: an auth request signed by another key is refused", async () => {
    server = await DevServer.start({ mender: { autoAccept: true } });
    const { generateKeyPairSync, sign } = await import("node:crypto");
    const a = generateKeyPairSync("ed25519");
    const b = generateKeyPairSync("ed25519");
    const body = JSON.stringify({ id_data: '{"mac":"x"}', pubkey: a.publicKey.export({ type: "spki", format: "pem" }).toString() });
    const bad = sign(null, Buffer.from(body), b.privateKey).toString("base64");
    const good = sign(null, Buffer.from(body), a.privateKey).toString("base64");
    const url = `${server.url}/api/devices/v1/authentication/auth_requests`;
    expect((await send(url, "POST", { "Content-Type": "application/json", "X-MEN-Signature": bad }, body)).status).toBe(401);
    const ok = await send(url, "POST", { "Content-Type": "application/json", "X-MEN-Signature": good }, body);
    expect(ok.status).toBe(200);
    expect(ok.body.split(".")).toHaveLength(3);
  });
});

describe("openapi catalog", () => {
  it("nullable-and-refs: schemas across files resolve and nullable admits null", async () => {
    const catalog = await OpenApiCatalog.load();
    const inventory = catalog.operations.find((o) => o.method === "PUT" && o.template.endsWith("/inventory/device/attributes"));
    const validate = inventory?.body?.media.get("application/json");
    expect(validate?.([{ name: "a", value: ["x"] }])).toBe(true);
    expect(validate?.([{ name: "a", value: [1, "x"] }])).toBe(false);
    expect(validate?.([{ value: "x" }])).toBe(false);
    // OpenAPI 3.0 `nullable` (DeploymentInstructions) becomes a JSON Schema "null" type; unknown keywords are dropped.
    expect(toJsonSchema({ type: "object", nullable: true, example: { a: 1 }, format: "x" })).toEqual({ type: ["object", "null"] });
  });
});
