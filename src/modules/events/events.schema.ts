import { z } from 'zod';
import { count } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { TRAFFIC_SOURCES } from '../lake/lake-schema.js';

/**
 * As Kinesis Firehose's PutRecordBatch (500 records): per-request work (auth,
 * visibility check, one transaction) is paid once per batch, so servers that
 * relay many players' events send few large batches. 500 events of the
 * documented shape stay under the 64 KiB JSON body limit.
 */
export const MAX_EVENTS_PER_BATCH = 500;

export const EventsBatch = requestSchema(
  'EventsBatch',
  z
    .object({
      events: z
        .array(
          z
            .object({
              type: z.enum(['impression', 'play', 'progress', 'complete', 'skip']),
              videoId: z.string().regex(ID_PATTERN, 'not a video id'),
              watchedMs: z.int().min(0).max(86_400_000).optional().describe('Cumulative watch time of this play'),
              at: z
                .union([z.iso.datetime({ offset: true }), z.int().min(0).max(8.64e15)])
                .optional()
                .describe('ISO 8601 with offset, or milliseconds since the epoch'),
              source: z
                .enum(TRAFFIC_SOURCES)
                .optional()
                .describe('Where the viewer found the video (the feed or page it played on); for creator analytics'),
            })
            .strict(),
        )
        .min(1, 'send at least one event')
        .max(MAX_EVENTS_PER_BATCH, `at most ${MAX_EVENTS_PER_BATCH} events per batch`),
    })
    .strict()
    .meta({
      examples: [
        {
          events: [
            { type: 'play', videoId: 'Vq3xY8kPz1LmN0aB', source: 'for_you' },
            { type: 'progress', videoId: 'Vq3xY8kPz1LmN0aB', watchedMs: 5000 },
          ],
        },
      ],
    }),
);
export type EventsBatch = z.infer<typeof EventsBatch>;

export const EventsResult = responseSchema(
  'EventsResult',
  z.object({
    accepted: count().describe('Events stored'),
    dropped: count().describe('Events for videos that do not exist or that you may not see: not stored'),
    viewsCounted: count().describe(
      "Videos whose view this batch counted (at most once per viewer and day; anonymous views also within their address's daily budget)",
    ),
  }),
);
export type EventsResult = z.infer<typeof EventsResult>;
