// Builds the agent's pino logger: JSON lines (for journald) or, on a terminal / with --pretty, human-readable lines.
import { pino, type DestinationStream, type Level } from "pino";
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

/** Keys whose values never reach a log line, wherever they appear one or two levels down. */
const REDACT = [
  "token",
  "password",
  "secret",
  "authorization",
  "*.token",
  "*.password",
  "*.secret",
  "*.authorization",
  "*.Authorization",
  "headers.authorization",
  "headers.Authorization",
];

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const settings = {
    level: options.level,
    base: options.base ?? null,
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
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
    return pino(settings, stream) as unknown as Logger;
  }
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(settings, destination as DestinationStream) as unknown as Logger;
}

/** A logger that drops everything (unit tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: "silent" }) as unknown as Logger;
}
