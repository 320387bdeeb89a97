import { AppError } from '../errors.js';

/** Opaque keyset cursor: `(createdAt, id)` of the last item returned. */
export interface KeysetCursor {
  t: string;
  id: string;
}

export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id])).toString('base64url');
}

export function decodeCursor(raw: string): KeysetCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      const [t, id] = v as [string, string];
      // Only the exact ISO form we issue: Date.parse accepts strings PostgreSQL would reject.
      if (isIssuedTimestamp(t) && id.length > 0 && id.length <= 64) return { t, id };
    }
  } catch {
    // fall through
  }
  throw new AppError('invalid_cursor', 'The cursor is malformed; use the nextCursor value from a previous page.');
}

/** Opaque offset cursor for ranked lists that have no stable key (trending). */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeOffsetCursor(raw: string): number {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    const o = (v as { o?: unknown } | null)?.o;
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0 && o <= 10_000) return o;
  } catch {
    // fall through
  }
  throw new AppError('invalid_cursor', 'The cursor is malformed; use the nextCursor value from a previous page.');
}

function isIssuedTimestamp(t: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(t)) return false;
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === t;
}
