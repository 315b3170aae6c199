// Test helper: a pino Logger whose lines are collected as parsed objects, for asserting on events and bindings.
import { pino } from "pino";
import type { Logger } from "../../core/logging/logger.js";

export interface LogEntry {
  level: string;
  msg?: string;
  event?: string;
  [key: string]: unknown;
}

export interface LogSink {
  /** A real pino logger (same serializers and bindings as production) writing into `entries`. */
  logger: Logger;
  /** Every line logged so far, parsed, in order. */
  entries: LogEntry[];
  /** Lines carrying this `event` id. */
  events(event: string): LogEntry[];
  clear(): void;
}

/** Collects everything at `level` (default trace) and above. */
export function createLogSink(level: string = "trace"): LogSink {
  const entries: LogEntry[] = [];
  const stream = {
    write(line: string): void {
      for (const part of line.split("\n")) if (part.trim()) entries.push(JSON.parse(part) as LogEntry);
    },
  };
  const logger = pino(
    { level, base: null, formatters: { level: (label: string) => ({ level: label }) } },
    stream,
  ) as unknown as Logger;
  return {
    logger,
    entries,
    events: (event) => entries.filter((entry) => entry.event === event),
    clear: () => {
      entries.length = 0;
    },
  };
}
