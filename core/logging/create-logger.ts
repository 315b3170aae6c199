// Builds the agent's pino logger: JSON lines (for journald) or, on a terminal / with --pretty, human-readable lines.
import { pino, type DestinationStream, type Level, type Logger as PinoLogger } from "pino";
import type { Logger } from "./logger.js";

export type LogLevel = Level | "silent";

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable output (pino-pretty, loaded only then). */
  pretty?: boolean;
  /** Where lines go; default stdout. Anything with `write(string)` fits (tests use a collecting sink). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Bindings on every line (e.g. `{ name: "ota-agent" }`). */
  base?: Record<string, unknown>;
}

/** Keys whose values never reach a log line, at any depth (tokens, keys, passwords, Authorization headers). */
const SECRET_KEY = /^(token|.*[-_]?token|password|passphrase|secret|.*[-_]?secret|authorization|cookie|private[-_]?key|api[-_]?key)$/i;
const MAX_DEPTH = 6;

/** A copy of `value` with secret-looking keys censored; errors and non-plain objects are kept as they are. */
function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object" || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && inner != null ? "[redacted]" : redactSecrets(inner, depth + 1);
  }
  return out;
}

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const settings = {
    level: options.level,
    base: options.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => redactSecrets(object) as Record<string, unknown>,
    },
  };
  if (options.pretty) {
    // Lazy: pino-pretty (and its colour and date libraries) cost memory the daemon does not need.
    const { default: pretty } = await import("pino-pretty");
    const stream = pretty({
      destination: (options.destination as NodeJS.WritableStream | undefined) ?? 1,
      sync: true,
      colorize: options.destination === undefined ? undefined : false,
      ignore: "pid,hostname",
      translateTime: "SYS:HH:MM:ss.l",
    });
    return redactingChildren(pino(settings, stream));
  }
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return redactingChildren(pino(settings, destination as DestinationStream));
}

/**
 * pino applies `formatters.log` to each line's fields but not to `child()` bindings, which are serialised once when
 * the child is made; this wrapper censors those bindings too, for every generation of children.
 */
function redactingChildren(logger: PinoLogger): Logger {
  return new Proxy(logger, {
    get(target, property, receiver) {
      if (property === "child") {
        return (bindings: Record<string, unknown>, options?: object) =>
          redactingChildren(target.child(redactSecrets(bindings) as Record<string, unknown>, options));
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  }) as unknown as Logger;
}

/** A logger that drops everything (unit tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: "silent" }) as unknown as Logger;
}
