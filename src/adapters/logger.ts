/**
 * The slice of a logger the adapters use. A pino logger satisfies it; tests
 * can pass a silent stub. Adapters never reach for a global logger.
 */
export interface AdapterLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Used when the caller passes none: errors still reach stderr, never vanish. */
export const consoleLogger: AdapterLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};
