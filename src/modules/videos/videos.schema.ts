import { z } from 'zod';
import { count, isoTime, page, pageQuery } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { VIDEO_STATUSES } from '../processing/video-lifecycle.js';
import { CaptionSchema, VisibilitySchema } from './caption.js';
import { PublishAtSchema } from './publication.js';

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
      publication: z
        .enum(['draft', 'scheduled'])
        .optional()
        .describe(
          'Present while the video is not published: a draft (saved, not published) or scheduled (published at `publishAt`). Only the owner ever sees such a video',
        ),
      publishAt: isoTime.optional().describe('When a scheduled video will be published (present while it is scheduled)'),
      stats: VideoStats.optional().describe('Counters, read fresh on every request'),
      viewer: z
        .object({ liked: z.boolean(), bookmarked: z.boolean(), followsAuthor: z.boolean() })
        .optional()
        .describe("The signed-in viewer's own relation to this video"),
      archive: z
        .object({
          archivedAt: isoTime,
          restore: z
            .object({
              phase: z
                .enum(['retrieving', 'processing'])
                .describe('retrieving: the store brings the original back; processing: renditions are being made'),
              requestedAt: isoTime,
              etaAt: isoTime.nullable().describe('When it should be ready again (an estimate); null: unknown'),
            })
            .nullable()
            .describe('The restore in flight (status restoring); null while archived'),
          lastError: z.string().optional().describe('Why the last restore failed (owner only)'),
        })
        .nullable()
        .describe(
          'Non-null exactly when status is archived or restoring: the renditions were moved to cold storage; the poster and metadata stay. ' +
            'POST /api/v1/videos/{id}/restore brings it back (status restoring, then ready)',
        ),
      archivePinned: z.boolean().optional().describe('Owner only: never archived by the sweep (PUT/DELETE …/archive-pin)'),
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
          archive: null,
          stats: { views: 1520, likes: 230, comments: 12, shares: 4 },
        },
      ],
    }),
);
export type VideoView = z.infer<typeof Video>;

export const VideoPage = responseSchema('VideoPage', page(Video));

/** No accepted video is longer than a day; a larger cover time is nonsense before the duration is even read. */
const MAX_COVER_TIME_MS = 86_400_000;

/** No accepted video is longer than a day: a cover time, checked against the real length once it is known. */
export const CoverTimeSchema = z.number().int().min(0).max(MAX_COVER_TIME_MS);

/** Feeds hand out pages of 10 by default. */
export const FeedQuery = pageQuery(10);

export const UpdateVideo = requestSchema(
  'UpdateVideo',
  z
    .object({
      caption: CaptionSchema.optional(),
      visibility: VisibilitySchema.optional(),
      commentsEnabled: z.boolean().optional(),
      coverTimeMs: CoverTimeSchema.optional().describe(
        'Take the cover (poster) frame at this time, ms from the start; it must lie within the video (422 `cover_time_out_of_range`). ' +
          'The video must be ready (409 `video_not_ready`). The poster gets a new URL, so browsers and CDNs show the new one.',
      ),
      draft: z
        .boolean()
        .optional()
        .describe(
          '`false`: publish now (a draft, or a scheduled video ahead of its time; a published video stays as it is). ' +
            '`true`: keep it as a draft (cancels a schedule). A published video cannot go back to draft (409 `already_published`)',
        ),
      publishAt: PublishAtSchema.optional().describe(
        'Schedule or reschedule: publish at this time (ISO 8601 with an offset), in the future (400 `publish_time_invalid`) and at most 90 days ahead. ' +
          'Only for a video not published yet (409 `already_published`). Not together with `draft`',
      ),
    })
    .strict()
    .refine((p) => p.draft === undefined || p.publishAt === undefined, {
      error: 'send either draft or publishAt, not both',
      path: ['publishAt'],
    })
    .refine(
      (p) =>
        p.caption !== undefined ||
        p.visibility !== undefined ||
        p.commentsEnabled !== undefined ||
        p.coverTimeMs !== undefined ||
        p.draft !== undefined ||
        p.publishAt !== undefined,
      { error: 'send at least one of caption, visibility, commentsEnabled, coverTimeMs, draft, publishAt' },
    ),
);
export type UpdateVideoInput = z.infer<typeof UpdateVideo>;

export const VideoCreatorStats = responseSchema(
  'VideoCreatorStats',
  z
    .object({
      videoId: z.string(),
      views: count().describe('Counted views (one per viewer per day)'),
      likes: count(),
      comments: count().describe('Comments and replies'),
      shares: count(),
      viewers: count().describe('Distinct viewers who reported watch time (signed-in accounts and devices), over the playback events kept'),
      averageWatchMs: count()
        .nullable()
        .describe("Average over those viewers of each one's longest reported watch; null before anyone watched"),
      totalWatchMs: count().describe('The sum of those watches'),
      durationMs: count().nullable(),
    })
    .meta({
      examples: [
        {
          videoId: 'Vq3xY8kPz1LmN0aB',
          views: 1520,
          likes: 230,
          comments: 12,
          shares: 4,
          viewers: 1311,
          averageWatchMs: 9_850,
          totalWatchMs: 12_913_350,
          durationMs: 14_960,
        },
      ],
    }),
);
export type VideoCreatorStatsView = z.infer<typeof VideoCreatorStats>;

/** One of the owner's own videos with its creator stats ("Your videos"). */
export const OwnVideoPage = responseSchema('OwnVideoPage', page(Video.extend({ creatorStats: VideoCreatorStats })));
export type OwnVideoView = VideoView & { creatorStats: VideoCreatorStatsView };

/** The owner's list: 30 a page by default. */
export const OwnVideosQuery = pageQuery(30);
