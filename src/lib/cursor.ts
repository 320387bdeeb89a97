import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Cursors leave the server signed (src/http/cursors.ts): `<cursor>.<mac>`,
 * an HMAC of the list it was issued for and the cursor itself, so a client
 * can only hand back cursors the server issued for that list. A forged one
 * never reaches a cache key or a query, and cannot make the server cache
 * pages nobody was given.
 */
export class CursorSigner {
  private readonly key: Buffer;

  /** `secret`: the deployment's signing secret (a key of its own is derived from it). */
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('curta cursor signing v1').digest();
  }

  sign(scope: string, cursor: string): string {
    return `${cursor}.${this.mac(scope, cursor)}`;
  }

  /** The cursor inside `signed`, if this server signed it for `scope`; else invalid_cursor. */
  verify(scope: string, signed: string): string {
    const dot = signed.lastIndexOf('.');
    if (dot > 0 && signed.length <= MAX_SIGNED_LENGTH) {
      const cursor = signed.slice(0, dot);
      const given = Buffer.from(signed.slice(dot + 1));
      const expected = Buffer.from(this.mac(scope, cursor));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return cursor;
    }
    throw invalidCursor();
  }

  private mac(scope: string, cursor: string): string {
    return createHmac('sha256', this.key).update(`${scope}\n${cursor}`).digest().subarray(0, 16).toString('base64url');
  }
}

/** Longer than any cursor the server issues (they are at most 300 characters, plus the MAC). */
const MAX_SIGNED_LENGTH = 400;

const invalidCursor = () =>
  new AppError('invalid_cursor', 'The cursor is not one this list handed out; use the nextCursor value from a previous page.');

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
  throw invalidCursor();
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
  throw invalidCursor();
}

function isIssuedTimestamp(t: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(t)) return false;
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === t;
}
