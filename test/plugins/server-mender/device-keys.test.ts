// X-MEN-Signature: the published vectors verify, and our signer's output verifies with node:crypto for every key type.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { DirPlatform } from "../../sim/server/dir-platform.js";
import { MemoryLogger } from "../../sim/server/memory-logger.js";
import { loadOrCreateDeviceKey, type DeviceKeyType } from "../../../plugins/server-mender/device-keys.js";

const SAMPLES = "/work/shared/samples/mender";

/** How the Mender server checks the header: RSA PKCS#1 v1.5/SHA-256, ECDSA DER/SHA-256, Ed25519 over the raw body. */
function serverVerifies(publicPem: string, body: Buffer, signatureB64: string): boolean {
  const key = createPublicKey(publicPem);
  const sig = Buffer.from(signatureB64, "base64");
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return verify(null, body, key, sig);
    case "ec":
      return verify("sha256", body, { key, dsaEncoding: "der" }, sig);
    default:
      return verify("sha256", body, key, sig);
  }
}

describe("X-MEN-Signature", () => {
  for (const [type, keyName] of [["rsa", "rsa"], ["ecdsa", "ecdsa"], ["ed25519", "ed25519"]] as const) {
    it(`published-vector-${type}: the sample signature verifies with the sample public key`, () => {
      const body = readFileSync(`${SAMPLES}/auth/auth-request-${type}.json`);
      const signature = readFileSync(`${SAMPLES}/auth/auth-request-${type}.x-men-signature`, "utf8").trim();
      const pub = readFileSync(`${SAMPLES}/keys/${keyName}-public.pem`, "utf8");
      expect(serverVerifies(pub, body, signature)).toBe(true);
      // The body carries that same public key: the server verifies against what the request names.
      expect(createPublicKey((JSON.parse(body.toString()) as { pubkey: string }).pubkey).export({ type: "spki", format: "der" })).toEqual(
        createPublicKey(pub).export({ type: "spki", format: "der" }),
      );
      const tampered = Buffer.from(body.toString().replace("dummy-tenant-token", "dummy-tenant-tokeN"));
      expect(serverVerifies(pub, tampered, signature)).toBe(false);
    });
  }

  for (const type of ["ed25519", "ecdsa-p256", "rsa3072"] as DeviceKeyType[]) {
    it(`our-signer-${type}: a created key signs bodies the server verifies, and the key is reloaded as the same type`, async () => {
      const platform = new DirPlatform();
      try {
        const log = new MemoryLogger();
        const key = await loadOrCreateDeviceKey(platform, "/data/keys/device.pem", type, log);
        expect(key.type).toBe(type);
        const body = Buffer.from(JSON.stringify({ id_data: '{"mac":"52:54:00:12:34:56"}', pubkey: key.publicKeyPem }));
        const sig = key.sign(body);
        expect(serverVerifies(key.publicKeyPem, body, sig)).toBe(true);
        expect(serverVerifies(key.publicKeyPem, Buffer.concat([body, Buffer.from(" ")]), sig)).toBe(false);
        if (type === "ecdsa-p256") expect(Buffer.from(sig, "base64")[0]).toBe(0x30); // DER SEQUENCE, not raw r||s
        if (type === "rsa3072") expect(Buffer.from(sig, "base64")).toHaveLength(384);
        const again = await loadOrCreateDeviceKey(platform, "/data/keys/device.pem", "ed25519", log);
        expect(again.publicKeyPem).toBe(key.publicKeyPem);
        if (type !== "ed25519") expect(log.events).toContain("server.key.type-differs");
      } finally {
        await platform.dispose();
      }
    });
  }

  it("key-file-garbage: an unreadable PEM is OTA_ERR_SERVER_KEY and is not overwritten", async () => {
    const platform = new DirPlatform();
    try {
      await platform.put("/data/keys/device.pem", "not a key\n");
      await expect(loadOrCreateDeviceKey(platform, "/data/keys/device.pem", "ed25519", new MemoryLogger())).rejects.toMatchObject({
        code: "OTA_ERR_SERVER_KEY",
      });
      expect(await platform.fs.readText("/data/keys/device.pem")).toBe("not a key\n");
    } finally {
      await platform.dispose();
    }
  });
});
