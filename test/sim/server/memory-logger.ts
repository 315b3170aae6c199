// A Logger that keeps its lines in memory, so tests can assert on operator-relevant events.
import type { Logger, LogFn } from "../../../core/logging/logger.js";

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

export class MemoryLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  #fn(level: string): LogFn {
    return ((a: Record<string, unknown> | string, b?: string) => {
      if (typeof a === "string") this.lines.push({ level, obj: { ...this.bindings }, msg: a });
      else this.lines.push({ level, obj: { ...this.bindings, ...a }, ...(b === undefined ? {} : { msg: b }) });
    }) as LogFn;
  }
  trace = this.#fn("trace");
  debug = this.#fn("debug");
  info = this.#fn("info");
  warn = this.#fn("warn");
  error = this.#fn("error");
  fatal = this.#fn("fatal");
  child(bindings: Record<string, unknown>): Logger {
    return new MemoryLogger(this.lines, { ...this.bindings, ...bindings });
  }
  /** The `event` ids logged so far, in order. */
  get events(): string[] {
    return this.lines.map((l) => l.obj["event"]).filter((e): e is string => typeof e === "string");
  }
}
