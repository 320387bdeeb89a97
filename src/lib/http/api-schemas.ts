import { z } from 'zod';
import { ERROR_CODES } from '../../errors.js';
import { ID_PATTERN } from '../ids.js';

import { responseSchema } from './schema-registry.js';

/** Schemas every module's routes share: pages, ids, errors, the device header. */

export const isoTime = z.string().describe('ISO 8601 timestamp (UTC, milliseconds)');
/** A count or size: a non-negative integer. */
export const count = () => z.int().min(0);

const cursor = z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page.');

/**
 * `?cursor=`: what a page's nextCursor said, as it was. Cursors are opaque
 * and signed by the server for the list that issued them (src/http/cursors.ts
 * checks them before the handler runs).
 */
export const cursorQuery = () =>
  z
    .string()
    .max(400)
    .optional()
    .describe(
      "The previous page's nextCursor, as it was: cursors are signed, and one this list did not hand out is a 400 `invalid_cursor`",
    );

/** `{items, nextCursor}` of every paginated list. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: cursor });

/** `?limit=&cursor=` of a paginated list; feeds hand out smaller pages than lists. */
export function pageQuery(defaultLimit: number, maxLimit = 50) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).describe('Items per page'),
    cursor: cursorQuery(),
  });
}
export const PageQuery = pageQuery(20);

const id = (what: string) => z.string().regex(ID_PATTERN, `not a ${what} id`);
export const VideoIdParams = z.object({ id: id('video').describe('Video id') });
export const UsernameParams = z.object({ username: z.string().max(200).describe('Username (case-insensitive)') });
export const CommentParams = VideoIdParams.extend({ commentId: id('comment').describe('Comment id') });
export const ReportIdParams = z.object({ id: id('report').describe('Report id') });
/** `/prefix/*`: the rest of the path. */
export const WildcardParams = z.object({ '*': z.string().describe('Object key below the prefix (may contain "/")') });

/** Anonymous viewers name their device: a UUID or any 16–64 URL-safe characters. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
export const DeviceHeader = z.object({
  'x-device-id': z
    .string()
    .regex(DEVICE_ID_PATTERN, 'X-Device-Id must be 16–64 characters of A–Z, a–z, 0–9, "_" or "-".')
    .optional()
    .describe('Names an anonymous viewer (its events and For You history)'),
});

export const ErrorBody = responseSchema(
  'Error',
  z.object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe('Stable, machine-readable code'),
      message: z.string().describe('Human-readable explanation'),
      details: z
        .unknown()
        .optional()
        .describe('Code-specific data, e.g. `retryAfter` (seconds) on 429s, field errors on validation_failed'),
    }),
  }),
  'Every error answer. 429s also carry a Retry-After header.',
);

export const Health = responseSchema('Health', z.object({ status: z.enum(['ok', 'ready', 'unavailable']) }));
