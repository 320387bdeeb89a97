/** SQLSTATE of a database error (PGlite and node-postgres both expose `code`), if any. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A row referenced something that is gone (e.g. the video was deleted meanwhile). */
export const isForeignKeyViolation = (err: unknown): boolean => sqlState(err) === '23503';
