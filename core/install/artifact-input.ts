// The install pipeline's view of an artifact being read: header facts first, then payload file streams.
import type { PayloadFile } from "../capabilities/update-module.js";

/** The header, checked (signature, device type, depends) before any payload byte is offered. */
export interface ArtifactInputHeader {
  format: "mender" | "rpi-update";
  artifactName: string;
  artifactGroup?: string;
  deviceTypes: string[];
  provides: Record<string, string>;
  clearsProvides: string[];
  depends: Record<string, string | string[]>;
  headerInfo?: Record<string, unknown>;
  payloads: { index: number; type: string; typeInfo: Record<string, unknown>; metaData: Record<string, unknown> }[];
  scripts: { name: string; content: Buffer }[];
  /** Index (in the configured order) of the verify key that checked the signature. */
  signedByIndex?: number;
}

/** One payload's files, in artifact order; each file must be consumed (or destroyed) before the next. */
export interface ArtifactInputPayload {
  index: number;
  type: string;
  files: AsyncIterable<PayloadFile>;
}

export interface ArtifactInput {
  header: ArtifactInputHeader;
  payloads(): AsyncIterable<ArtifactInputPayload>;
  /**
   * Call after the payload loop: drains and checks what was not consumed, resolves when every manifest entry was
   * seen and checked; rejects with the reader's error otherwise.
   */
  done(): Promise<void>;
  /** Stops reading and destroys the input. */
  abort(reason?: Error): void;
}
