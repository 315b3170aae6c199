// Settles a promise into the OtaError code it rejected with, or "resolved", so a test can assert the code in one line.
/** The `code` of the rejection, or "resolved" when the promise fulfilled (a missing rejection then fails the assert). */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return "resolved";
}
