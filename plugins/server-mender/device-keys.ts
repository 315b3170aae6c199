// The device's authentication key pair: created once in the data dir (mode 0600, durably), loaded, and used to sign.
import { createPrivateKey, createPublicKey, generateKeyPair, sign, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";
import { OtaError } from "../../core/errors/index.js";

export type DeviceKeyType = "ed25519" | "ecdsa-p256" | "rsa3072";

const generate = promisify(generateKeyPair);

/** A loaded key: the private half never leaves this object; the public half is sent as SPKI PEM. */
export class DeviceKey {
  readonly type: DeviceKeyType;
  readonly publicKeyPem: string;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    this.type = keyTypeOf(privateKey);
    this.#privateKey = privateKey;
    this.publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  }

  /**
   * X-MEN-Signature over the exact body bytes: RSA PKCS#1 v1.5 over SHA-256, ECDSA over SHA-256 as ASN.1 DER
   * SEQUENCE{r, s}, Ed25519 over the raw body; base64.
   */
  sign(body: string | Buffer): string {
    const data = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    switch (this.type) {
      case "ed25519":
        return sign(null, data, this.#privateKey).toString("base64");
      case "ecdsa-p256":
        return sign("sha256", data, { key: this.#privateKey, dsaEncoding: "der" }).toString("base64");
      case "rsa3072":
        return sign("sha256", data, this.#privateKey).toString("base64");
    }
  }
}

function keyTypeOf(key: KeyObject): DeviceKeyType {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return "ed25519";
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === "prime256v1" || curve === "P-256") return "ecdsa-p256";
      throw new OtaError("OTA_ERR_SERVER_KEY", `device key: ECDSA curve ${String(curve)} is not supported (P-256 only)`);
    }
    case "rsa":
      return "rsa3072";
    default:
      throw new OtaError("OTA_ERR_SERVER_KEY", `device key: key type ${String(key.asymmetricKeyType)} is not supported`);
  }
}

/**
 * Loads the private key from `keyFile` (device path), creating it first when missing. Creation writes the PEM with
 * writeFileDurable (temp, fsync, rename, fsync dir) at mode 0600, so a power cut leaves no key or the whole key.
 * An existing key of another type than configured is kept: a new key would make the device pending again.
 */
export async function loadOrCreateDeviceKey(
  platform: Platform,
  keyFile: string,
  wanted: DeviceKeyType,
  log: Logger,
): Promise<DeviceKey> {
  let pem: Buffer | undefined;
  try {
    pem = (await platform.fs.exists(keyFile)) ? await platform.fs.readFile(keyFile) : undefined;
  } catch (err) {
    throw new OtaError("OTA_ERR_SERVER_KEY", `device key ${keyFile}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (pem !== undefined) {
    let key: DeviceKey;
    try {
      key = new DeviceKey(createPrivateKey(pem));
    } catch (err) {
      if (err instanceof OtaError) throw err.withContext(`device key ${keyFile}`);
      throw new OtaError("OTA_ERR_SERVER_KEY", `device key ${keyFile}: not a PEM private key: ${(err as Error).message}`, { cause: err });
    }
    if (key.type !== wanted) {
      log.warn({ event: "server.key.type-differs", keyFile, keyType: key.type, configured: wanted }, "keeping the existing device key of another type");
    }
    return key;
  }
  const privateKey = await generatePrivateKey(wanted);
  const out = privateKey.export({ type: "pkcs8", format: "pem" });
  const dir = keyFile.slice(0, keyFile.lastIndexOf("/")) || "/";
  try {
    await platform.fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await platform.fs.writeFileDurable(keyFile, out, 0o600);
  } catch (err) {
    throw new OtaError("OTA_ERR_SERVER_KEY", `device key ${keyFile}: cannot write: ${(err as Error).message}`, { cause: err });
  }
  platform.checkpoint("server-mender:key:written");
  log.info({ event: "server.key.created", keyFile, keyType: wanted }, "created the device key pair");
  return new DeviceKey(privateKey);
}

async function generatePrivateKey(type: DeviceKeyType): Promise<KeyObject> {
  switch (type) {
    case "ed25519":
      return (await generate("ed25519")).privateKey;
    case "ecdsa-p256":
      return (await generate("ec", { namedCurve: "prime256v1" })).privateKey;
    case "rsa3072":
      return (await generate("rsa", { modulusLength: 3072 })).privateKey;
  }
}
