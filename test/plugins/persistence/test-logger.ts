// A Logger that records lines in memory, for asserting operator-visible events in tests.
import type { Logger } from "../../../core/logging/logger.js";

export interface RecordedLine {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

export function recordingLogger(lines: RecordedLine[] = []): Logger & { lines: RecordedLine[] } {
  const make = (bindings: Record<string, unknown>): Logger & { lines: RecordedLine[] } => {
    const fn =
      (level: string) =>
      (objOrMsg: Record<string, unknown> | string, msg?: string): void => {
        if (typeof objOrMsg === "string") lines.push({ level, obj: { ...bindings }, msg: objOrMsg });
        else lines.push({ level, obj: { ...bindings, ...objOrMsg }, msg });
      };
    return {
      lines,
      trace: fn("trace"),
      debug: fn("debug"),
      info: fn("info"),
      warn: fn("warn"),
      error: fn("error"),
      fatal: fn("fatal"),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}
