// Ed25519 manifest signatures made with node:crypto (mender-artifact 3.9 cannot write them): verified, and refused when wrong.
import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { craft, pem, readAll, readError, testKeys } from "../artifact-kit.js";

/** The manifest body of a crafted artifact: the second member, header at 1024, body at 1536. */
function manifestOf(buf: Buffer): Buffer {
  const size = parseInt(buf.subarray(1024 + 124, 1024 + 135).toString("latin1"), 8);
  return buf.subarray(1536, 1536 + size);
}

describe("Ed25519 manifest.sig", () => {
  const { ed } = testKeys();
  const other = generateKeyPairSync("ed25519");
  // Signed by hand with node:crypto (no digest: Ed25519 signs the manifest bytes), base64 as mender-artifact encodes.
  const signature = sign(null, manifestOf(craft()), ed.privateKey);
  const signed = craft({ sigOverride: Buffer.from(signature.toString("base64")) });

  it("a hand-made Ed25519 signature verifies with the PEM public key", async () => {
    const { header } = await readAll(signed, { verifyKeys: [pem(ed.publicKey)] });
    expect(header.signature).toMatchObject({ status: "verified", algorithm: "ed25519", keyIndex: 0 });
  });

  it("ed25519-wrong-key: another Ed25519 key is refused", async () => {
    expect((await readError(signed, { verifyKeys: [pem(other.publicKey)] })).code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });

  it("ed25519-signature-flipped: one changed signature byte is refused", async () => {
    const bad = Buffer.from(signature);
    bad[5] = bad[5]! ^ 0x01;
    const err = await readError(craft({ sigOverride: Buffer.from(bad.toString("base64")) }), { verifyKeys: [pem(ed.publicKey)] });
    expect(err.code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });

  it("ed25519-signature-short: a 63-byte signature is refused, not thrown as a crypto error", async () => {
    const err = await readError(craft({ sigOverride: Buffer.from(signature.subarray(0, 63).toString("base64")) }), { verifyKeys: [pem(ed.publicKey)] });
    expect(err.code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });

  it("ed25519-signature-of-other-manifest: a valid signature over different bytes is refused", async () => {
    const forOther = sign(null, Buffer.from("0".repeat(64) + "  data/0000/x\n"), ed.privateKey);
    const err = await readError(craft({ sigOverride: Buffer.from(forOther.toString("base64")) }), { verifyKeys: [pem(ed.publicKey)] });
    expect(err.code).toBe("OTA_ERR_ARTIFACT_SIGNATURE_INVALID");
  });
});
