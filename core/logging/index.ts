// Public surface of logging: the Logger contract, its factory and the stable event ids.
export type { Logger, LogFn } from "./logger.js";
export { createLogger, silentLogger, type LoggerOptions, type LogLevel } from "./create-logger.js";
export { EVENTS, type EventId } from "./event-ids.js";
