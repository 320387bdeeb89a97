import { z } from 'zod';
import { count, isoTime, page, pageQuery } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { VIDEO_STATUSES } from '../processing/video-lifecycle.js';
import { CaptionSchema, VisibilitySchema } from './caption.js';

/** The video lifecycle's states as clients see them. */
export const VideoStatusSchema = z.enum(VIDEO_STATUSES);

const VideoStats = z.object({ views: count(), likes: count(), comments: count(), shares: count() });
export type VideoStats = z.infer<typeof VideoStats>;

export const Video = responseSchema(
  'Video',
  z
    .object({
      id: z.string(),
      status: VideoStatusSchema,
      caption: z.string().describe('Plain text; never render it as HTML'),
      visibility: VisibilitySchema,
      author: z.object({ id: z.string(), username: z.string() }),
      durationMs: count().nullable(),
      width: count().nullable(),
      height: count().nullable(),
      createdAt: isoTime,
      progress: z.number().min(0).max(1).describe('0..1 while processing'),
      playback: z
        .object({ hls: z.string().nullable(), mp4: z.string().nullable(), poster: z.string().nullable() })
        .nullable()
        .describe('Plain URLs for ready public/unlisted videos; signed, expiring URLs for everything else'),
      error: z.object({ code: z.string(), message: z.string() }).optional().describe('Present when status is failed'),
      hashtags: z.array(z.string()),
      mentions: z.array(z.object({ id: z.string(), username: z.string() })),
      commentsEnabled: z.boolean(),
      coverTimeMs: count()
        .optional()
        .describe('Where the cover (poster) frame was taken, ms from the start, when the owner chose it; absent: the automatic one'),
      stats: VideoStats.optional().describe('Counters, read fresh on every request'),
      viewer: z
        .object({ liked: z.boolean(), bookmarked: z.boolean(), followsAuthor: z.boolean() })
        .optional()
        .describe("The signed-in viewer's own relation to this video"),
      takedown: z
        .object({ reason: z.string(), at: isoTime })
        .optional()
        .describe('Present when an admin took the video down (only its owner still sees it)'),
    })
    .meta({
      examples: [
        {
          id: 'Vq3xY8kPz1LmN0aB',
          status: 'ready',
          caption: 'First light over the bay #sunrise',
          visibility: 'public',
          author: { id: 'Uk2Jd8sPq0ZxW1cE', username: 'ana' },
          durationMs: 14_960,
          width: 1080,
          height: 1920,
          createdAt: '2026-11-30T07:12:45.120Z',
          progress: 1,
          playback: {
            hls: 'https://cdn.example/media/Vq3xY8kPz1LmN0aB/r1/hls/master.m3u8',
            mp4: 'https://cdn.example/media/Vq3xY8kPz1LmN0aB/r1/video.mp4',
            poster: 'https://cdn.example/media/Vq3xY8kPz1LmN0aB/r1/poster.jpg',
          },
          hashtags: ['sunrise'],
          mentions: [],
          commentsEnabled: true,
          stats: { views: 1520, likes: 230, comments: 12, shares: 4 },
        },
      ],
    }),
);
export type VideoView = z.infer<typeof Video>;

export const VideoPage = responseSchema('VideoPage', page(Video));

/** No accepted video is longer than a day; a larger cover time is nonsense before the duration is even read. */
const MAX_COVER_TIME_MS = 86_400_000;

/** Feeds hand out pages of 10 by default. */
export const FeedQuery = pageQuery(10);

export const UpdateVideo = requestSchema(
  'UpdateVideo',
  z
    .object({
      caption: CaptionSchema.optional(),
      visibility: VisibilitySchema.optional(),
      commentsEnabled: z.boolean().optional(),
      coverTimeMs: z
        .number()
        .int()
        .min(0)
        .max(MAX_COVER_TIME_MS)
        .optional()
        .describe(
          'Take the cover (poster) frame at this time, ms from the start; it must lie within the video (422 `cover_time_out_of_range`). ' +
            'The video must be ready (409 `video_not_ready`). The poster gets a new URL, so browsers and CDNs show the new one.',
        ),
    })
    .strict()
    .refine(
      (p) => p.caption !== undefined || p.visibility !== undefined || p.commentsEnabled !== undefined || p.coverTimeMs !== undefined,
      { error: 'send at least one of caption, visibility, commentsEnabled, coverTimeMs' },
    ),
);
export type UpdateVideoInput = z.infer<typeof UpdateVideo>;
