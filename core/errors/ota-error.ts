// The one error type of the agent: a stable code to branch on, a message a person can act on, structured details.
import type { OtaErrorCode } from "./codes.js";

export interface OtaErrorOptions {
  /** The lower-level error this one wraps. */
  cause?: unknown;
  /** Structured data for logs and JSON output; never secrets. */
  details?: Record<string, unknown>;
}

/**
 * Base error. Callers branch on `code` (see codes.ts and README.md), never on `message`.
 * `withContext("tryboot")` prefixes the message as the error rises ("tryboot: write autoboot.txt: ENOSPC").
 */
export class OtaError extends Error {
  readonly code: OtaErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: OtaErrorCode, message: string, options: OtaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OtaError";
    this.code = code;
    this.details = options.details ?? {};
  }

  /** A copy with the same code, cause and details and `prefix: ` before the message. */
  withContext(prefix: string): OtaError {
    const copy = new OtaError(this.code, `${prefix}: ${this.message}`, { cause: this.cause, details: this.details });
    copy.stack = this.stack;
    return copy;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is an OtaError, optionally with the given code. */
export function isOtaError(err: unknown, code?: OtaErrorCode): err is OtaError {
  return err instanceof OtaError && (code === undefined || err.code === code);
}

/**
 * Wraps any thrown value as an OtaError: OtaErrors get the context prefix, anything else becomes `fallback`
 * with the original as cause and its message kept.
 */
export function asOtaError(err: unknown, fallback: OtaErrorCode, context?: string): OtaError {
  if (err instanceof OtaError) return context ? err.withContext(context) : err;
  const message = err instanceof Error ? err.message : String(err);
  const sysCode = (err as { code?: unknown } | null)?.code;
  return new OtaError(fallback, context ? `${context}: ${message}` : message, {
    cause: err,
    details: typeof sysCode === "string" ? { sysCode } : {},
  });
}
