// Paths of the committed artifact fixtures (a copy of the shared mender-artifact 3.9 samples).
import { fileURLToPath } from "node:url";

/** Root of the Mender samples: artifacts/, keys/ (public only), inputs/. */
export const SAMPLES = fileURLToPath(new URL("../fixtures/artifacts/mender-samples", import.meta.url));
export const SAMPLE_ARTIFACTS = `${SAMPLES}/artifacts`;
export const SAMPLE_INPUTS = `${SAMPLES}/inputs`;
export const SAMPLE_KEYS = `${SAMPLES}/keys`;
