// Settles a promise that must reject with an OtaError and returns that error, so a test can assert code and details.
import { isOtaError, type OtaError } from "../../core/errors/index.js";

/** The OtaError `p` rejected with; a fulfilment or a non-OtaError rejection fails the test. */
export async function otaRejection(p: Promise<unknown>): Promise<OtaError> {
  try {
    await p;
  } catch (err) {
    if (isOtaError(err)) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}
