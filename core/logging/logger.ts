// Logger: the structured-logging surface every module uses (pino-compatible, so a pino instance fits).

export interface LogFn {
  (obj: Record<string, unknown>, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger whose lines all carry `bindings` (e.g. `{ plugin }`, `{ deploymentId }`). */
  child(bindings: Record<string, unknown>): Logger;
}
