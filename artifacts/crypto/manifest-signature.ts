// Signs and verifies the manifest bytes: RSA PKCS#1 v1.5/SHA-256, ECDSA P-256 (raw r||s or DER), Ed25519.
import { createPrivateKey, createPublicKey, sign, verify, constants, KeyObject } from "node:crypto";
import type { KeyInput, SignatureStatus } from "../artifact-header.js";
import { ArtifactError } from "../errors.js";

type Algorithm = NonNullable<SignatureStatus["algorithm"]>;

function algorithmOf(key: KeyObject, which: string): Algorithm {
  const type = key.asymmetricKeyType;
  if (type === "rsa") return "rsa";
  if (type === "ed25519") return "ed25519";
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== "prime256v1") {
      throw new ArtifactError("OTA_ERR_ARTIFACT_KEY_INVALID", `${which}: ECDSA key on curve ${curve ?? "?"}; only P-256 is supported`);
    }
    return "ecdsa";
  }
  throw new ArtifactError("OTA_ERR_ARTIFACT_KEY_INVALID", `${which}: unsupported key type ${type ?? "?"} (RSA, ECDSA P-256, Ed25519)`);
}

/** A public KeyObject from PEM/DER/KeyObject (a private key yields its public half). */
export function toPublicKey(input: KeyInput, which = "verify key"): KeyObject {
  try {
    if (input instanceof KeyObject) return input.type === "public" ? input : createPublicKey(input);
    return createPublicKey(input);
  } catch (err) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_KEY_INVALID", `${which}: not a usable public or private key (${(err as Error).message})`, { cause: err });
  }
}

/** A private KeyObject from PEM/DER/KeyObject. */
export function toPrivateKey(input: KeyInput, which = "signing key"): KeyObject {
  try {
    if (input instanceof KeyObject) {
      if (input.type !== "private") throw new Error("a public key cannot sign");
      return input;
    }
    return createPrivateKey(input);
  } catch (err) {
    if (err instanceof ArtifactError) throw err;
    throw new ArtifactError("OTA_ERR_ARTIFACT_KEY_INVALID", `${which}: not a usable private key (${(err as Error).message})`, { cause: err });
  }
}

/** The base64 `manifest.sig` content for `manifest` (no newline, as mender-artifact writes it). */
export function signManifest(manifest: Buffer, keyInput: KeyInput): string {
  const key = toPrivateKey(keyInput);
  const alg = algorithmOf(key, "signing key");
  let sig: Buffer;
  if (alg === "rsa") sig = sign("sha256", manifest, { key, padding: constants.RSA_PKCS1_PADDING });
  // mender-artifact (every version) reads only the 64-byte r||s form; DER would break 3.x readers.
  else if (alg === "ecdsa") sig = sign("sha256", manifest, { key, dsaEncoding: "ieee-p1363" });
  else sig = sign(null, manifest, key);
  return sig.toString("base64");
}

/**
 * Verifies `sigText` (base64) over `manifest` with each key in order; returns the first that verifies, or throws
 * OTA_ERR_ARTIFACT_SIGNATURE_INVALID.
 */
export function verifyManifest(manifest: Buffer, sigText: Buffer, keys: readonly KeyInput[]): SignatureStatus {
  const text = sigText.toString("latin1").trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new ArtifactError("OTA_ERR_ARTIFACT_SIGNATURE_INVALID", "manifest.sig: not base64", { details: { member: "manifest.sig" } });
  }
  const sig = Buffer.from(text, "base64");
  for (let i = 0; i < keys.length; i++) {
    const key = toPublicKey(keys[i]!, `verify key #${i}`);
    const alg = algorithmOf(key, `verify key #${i}`);
    let ok = false;
    try {
      if (alg === "rsa") ok = verify("sha256", manifest, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
      else if (alg === "ecdsa") {
        ok = sig.length === 64
          ? verify("sha256", manifest, { key, dsaEncoding: "ieee-p1363" }, sig)
          : verify("sha256", manifest, { key, dsaEncoding: "der" }, sig);
      } else ok = verify(null, manifest, key, sig);
    } catch {
      ok = false; // a signature of the wrong shape for this key simply does not verify
    }
    if (ok) return { status: "verified", keyIndex: i, algorithm: alg };
  }
  throw new ArtifactError(
    "OTA_ERR_ARTIFACT_SIGNATURE_INVALID",
    `manifest.sig: the signature does not verify with any of the ${keys.length} configured key(s)`,
    { details: { member: "manifest.sig", keys: keys.length } },
  );
}
