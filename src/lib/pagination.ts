import { decodeCursor, encodeCursor, type KeysetCursor } from './cursor.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `?limit=&cursor=` of a paginated list, once validated (the schema: PageQuery in lib/http/api-schemas.ts). */
export interface PageParams {
  limit: number;
  cursor?: string | undefined;
}

/** The keyset position a cursor names (throws invalid_cursor), or undefined for the first page. */
export function afterCursor(cursor: string | undefined): KeysetCursor | undefined {
  return cursor === undefined ? undefined : decodeCursor(cursor);
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says that
 * another page exists; the cursor is the key of the last row returned.
 */
export function keysetPage<R>(rows: readonly R[], limit: number, keyOf: (row: R) => KeysetCursor): Page<R> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

export type SortOrder = 'ASC' | 'DESC';

/** A keyset's columns: the row's time and a unique id that breaks ties (e.g. `v.created_at`, `v.id`). */
export interface KeysetColumns {
  time: string;
  id: string;
}

/**
 * The SQL of one keyset page: `and`, the condition for rows after the
 * cursor's (empty on the first page), to append to a WHERE; `orderBy`, the
 * order that condition follows; `params`, the query's parameters with the
 * cursor's appended (its placeholders number on from `params`).
 */
export function keysetSql(
  columns: KeysetColumns,
  after: KeysetCursor | undefined,
  params: readonly unknown[],
  order: SortOrder = 'DESC',
): { and: string; orderBy: string; params: unknown[] } {
  const orderBy = `${columns.time} ${order}, ${columns.id} ${order}`;
  if (!after) return { and: '', orderBy, params: [...params] };
  const t = params.length + 1;
  const and = ` AND (${columns.time}, ${columns.id}) ${order === 'DESC' ? '<' : '>'} ($${t}::timestamptz, $${t + 1})`;
  return { and, orderBy, params: [...params, after.t, after.id] };
}

export const isoTime = (t: Date | string): string => new Date(t).toISOString();
