import { describe, expect, it } from 'vitest';
import { decodeCursor } from './cursor.js';
import { afterCursor, keysetPage, keysetSql } from './pagination.js';

const COLUMNS = { time: 'f.created_at', id: 'f.followee_id' };
const AFTER = { t: '2026-01-02T03:04:05.678Z', id: 'abc' };

describe('keysetSql', () => {
  it('adds no condition on the first page', () => {
    expect(keysetSql(COLUMNS, undefined, ['u1', 21])).toEqual({
      and: '',
      orderBy: 'f.created_at DESC, f.followee_id DESC',
      params: ['u1', 21],
    });
  });

  it('continues below the cursor, numbering its placeholders after the given parameters', () => {
    expect(keysetSql(COLUMNS, AFTER, ['u1', 21, null])).toEqual({
      and: ' AND (f.created_at, f.followee_id) < ($4::timestamptz, $5)',
      orderBy: 'f.created_at DESC, f.followee_id DESC',
      params: ['u1', 21, null, AFTER.t, AFTER.id],
    });
  });

  it('continues above the cursor in ascending order', () => {
    const page = keysetSql(COLUMNS, AFTER, ['v1'], 'ASC');
    expect(page.and).toBe(' AND (f.created_at, f.followee_id) > ($2::timestamptz, $3)');
    expect(page.orderBy).toBe('f.created_at ASC, f.followee_id ASC');
  });

  it('leaves the caller’s parameter list as it was', () => {
    const params = ['u1', 21];
    keysetSql(COLUMNS, AFTER, params);
    expect(params).toEqual(['u1', 21]);
  });
});

describe('keysetPage', () => {
  const rows = [
    { id: 'a', at: '2026-01-03T00:00:00.000Z' },
    { id: 'b', at: '2026-01-02T00:00:00.000Z' },
    { id: 'c', at: '2026-01-01T00:00:00.000Z' },
  ];
  const keyOf = (r: (typeof rows)[number]) => ({ t: r.at, id: r.id });

  it('cuts the look-ahead row and points the cursor at the last row returned', () => {
    const page = keysetPage(rows, 2, keyOf);
    expect(page.items.map((r) => r.id)).toEqual(['a', 'b']);
    expect(decodeCursor(page.nextCursor!)).toEqual({ t: rows[1]!.at, id: 'b' });
  });

  it('has no next cursor when the rows fit the page', () => {
    expect(keysetPage(rows, 3, keyOf)).toEqual({ items: rows, nextCursor: null });
  });

  it('reads the cursor it issued back as the next keyset position', () => {
    expect(afterCursor(keysetPage(rows, 1, keyOf).nextCursor!)).toEqual({ t: rows[0]!.at, id: 'a' });
    expect(afterCursor(undefined)).toBeUndefined();
    expect(() => afterCursor('nope')).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
  });
});
