// A Logger fake that keeps every line as JSON, so tests can assert events and scan for leaked secrets.
import type { Logger } from "../../../core/logging/logger.js";

export interface CapturedLine {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

export class CaptureLogger implements Logger {
  constructor(
    readonly lines: CapturedLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}
  private at(level: string) {
    return (a: Record<string, unknown> | string, msg?: string): void => {
      if (typeof a === "string") this.lines.push({ level, obj: { ...this.bindings }, msg: a });
      else this.lines.push({ level, obj: { ...this.bindings, ...a }, msg });
    };
  }
  trace = this.at("trace");
  debug = this.at("debug");
  info = this.at("info");
  warn = this.at("warn");
  error = this.at("error");
  fatal = this.at("fatal");
  child(bindings: Record<string, unknown>): Logger {
    return new CaptureLogger(this.lines, { ...this.bindings, ...bindings });
  }
  /** Every line serialised, for "no line contains X" checks. */
  text(): string {
    return this.lines.map((l) => JSON.stringify(l, (_k, v: unknown) => (v instanceof Error ? v.message : v))).join("\n");
  }
  events(): unknown[] {
    return this.lines.map((l) => l.obj.event).filter((e) => e !== undefined);
  }
}
