import { z } from 'zod';
import { REPORT_REASONS, REPORT_STATUSES, REPORT_TARGET_TYPES } from '../../modules/safety/reports.repository.js';

/**
 * Response shapes for the OpenAPI document, as Zod schemas registered under
 * component names. Request shapes are not repeated here: the document uses
 * the very schemas the routes parse with (see operations.ts). These mirror
 * the TypeScript interfaces the services return (VideoView, Profile, …);
 * test/e2e/openapi.test.ts checks real answers against them.
 */
export const responses = z.registry<{ id: string; description?: string }>();

function component<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responses.add(schema, description ? { id, description } : { id });
  return schema;
}

const isoTime = z.string().describe('ISO 8601 timestamp (UTC, milliseconds)');
const cursor = z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page.');
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: cursor });

export const ErrorBody = component(
  'Error',
  z.object({
    error: z.object({
      code: z.string().describe('Stable, machine-readable code (e.g. video_not_found, rate_limited)'),
      message: z.string().describe('Human-readable explanation'),
      details: z.unknown().optional().describe('Code-specific data, e.g. `retryAfter` (seconds) on 429s, field errors on validation_failed'),
    }),
  }),
  'Every error answer. 429s also carry a Retry-After header.',
);

export const Health = component('Health', z.object({ status: z.string() }));

export const PublicUser = component(
  'User',
  z.object({
    id: z.string(),
    username: z.string(),
    role: z.enum(['user', 'admin']),
    createdAt: isoTime,
  }),
  'The signed-in account.',
);

export const AuthResult = component('AuthResult', z.object({ user: PublicUser, token: z.string().describe('Bearer token') }));
export const Me = component('Me', z.object({ user: PublicUser }));

export const UserSummary = component(
  'UserSummary',
  z.object({ id: z.string(), username: z.string(), displayName: z.string(), avatarUrl: z.string().nullable() }),
);

export const Profile = component(
  'Profile',
  UserSummary.extend({
    bio: z.string(),
    followerCount: z.number().int(),
    followingCount: z.number().int(),
    likeCount: z.number().int().describe("Likes received on all of the user's videos"),
    videoCount: z.number().int().describe('Videos the profile lists for this viewer'),
    createdAt: isoTime,
    viewer: z
      .object({ follows: z.boolean(), blocking: z.boolean() })
      .optional()
      .describe('Present for a signed-in viewer'),
  }),
);

const Visibility = z.enum(['public', 'unlisted', 'followers', 'private']);
const VideoStatus = z.enum(['uploading', 'uploaded', 'processing', 'ready', 'failed', 'archived', 'restoring']);

export const Video = component(
  'Video',
  z.object({
    id: z.string(),
    status: VideoStatus,
    caption: z.string().describe('Plain text; never render it as HTML'),
    visibility: Visibility,
    author: z.object({ id: z.string(), username: z.string() }),
    durationMs: z.number().int().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    createdAt: isoTime,
    progress: z.number().min(0).max(1),
    playback: z
      .object({ hls: z.string().nullable(), mp4: z.string().nullable(), poster: z.string().nullable() })
      .nullable()
      .describe('Plain URLs for ready public/unlisted videos; signed, expiring URLs for everything else'),
    error: z.object({ code: z.string(), message: z.string() }).optional().describe('Present when status is failed'),
    hashtags: z.array(z.string()),
    mentions: z.array(z.object({ id: z.string(), username: z.string() })),
    commentsEnabled: z.boolean(),
    stats: z
      .object({ views: z.number().int(), likes: z.number().int(), comments: z.number().int(), shares: z.number().int() })
      .optional(),
    viewer: z.object({ liked: z.boolean(), bookmarked: z.boolean(), followsAuthor: z.boolean() }).optional(),
    takedown: z
      .object({ reason: z.string(), at: isoTime })
      .optional()
      .describe('Present when an admin took the video down (only its owner still sees it)'),
  }),
);

export const VideoPage = component('VideoPage', page(Video));
export const HashtagPage = component('HashtagPage', page(Video).extend({ tag: z.string() }));

const UploadPart = z.object({ partNumber: z.number().int(), size: z.number().int(), url: z.string(), headers: z.record(z.string(), z.string()) });
export const UploadInstructions = component(
  'UploadInstructions',
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('single'),
      method: z.literal('PUT'),
      url: z.string(),
      headers: z.record(z.string(), z.string()).describe('Send exactly these headers with the PUT'),
      expiresAt: isoTime,
    }),
    z.object({
      kind: z.literal('multipart'),
      method: z.literal('PUT'),
      partSize: z.number().int(),
      parts: z.array(UploadPart).describe('Parts still to send, each with its own signed URL'),
      uploadedParts: z.array(z.object({ partNumber: z.number().int(), size: z.number().int(), etag: z.string() })),
      expiresAt: isoTime,
    }),
  ]),
);
export const CreatedUpload = component('CreatedUpload', z.object({ videoId: z.string(), upload: UploadInstructions }));
export const UploadLimits = component(
  'UploadLimits',
  z.object({
    maxBytes: z.number().int(),
    maxDurationSec: z.number(),
    contentTypes: z.array(z.string()),
    dailyCount: z.number().int().describe('per user per UTC day; 0 = unlimited'),
    dailyBytes: z.number().int().describe('per user per UTC day; 0 = unlimited'),
  }),
);
export const UploadStatus = component('UploadStatus', z.object({ video: Video, upload: UploadInstructions.nullable() }));

export const FollowResult = component('FollowResult', z.object({ following: z.boolean(), followerCount: z.number().int() }));
export const FollowPage = component('FollowPage', page(UserSummary.extend({ followedAt: isoTime })));
export const LikeResult = component('LikeResult', z.object({ liked: z.boolean(), likes: z.number().int() }));
export const BookmarkResult = component('BookmarkResult', z.object({ bookmarked: z.boolean() }));
export const ShareResult = component('ShareResult', z.object({ url: z.string(), shares: z.number().int() }));

export const Comment = component(
  'Comment',
  z.object({
    id: z.string(),
    videoId: z.string(),
    parentId: z.string().nullable().describe('The top-level comment this one replies to'),
    author: UserSummary,
    text: z.string().describe('Plain text; never render it as HTML'),
    likeCount: z.number().int(),
    replyCount: z.number().int(),
    createdAt: isoTime,
    viewer: z.object({ liked: z.boolean() }).optional(),
  }),
);
export const CommentPage = component('CommentPage', page(Comment));

export const EventsResult = component(
  'EventsResult',
  z.object({ accepted: z.number().int(), dropped: z.number().int(), viewsCounted: z.number().int() }),
);

export const SearchResult = component(
  'SearchResult',
  z.object({
    query: z.string(),
    users: z.array(UserSummary),
    videos: z.array(Video),
    hashtags: z.array(z.object({ tag: z.string(), videos: z.number().int() })),
  }),
);

export const BlockResult = component('BlockResult', z.object({ blocking: z.boolean() }));
export const BlockPage = component('BlockPage', page(UserSummary.extend({ blockedAt: isoTime })));

const ReportFields = z.object({
  id: z.string(),
  targetType: z.enum(REPORT_TARGET_TYPES),
  targetId: z.string(),
  reason: z.enum(REPORT_REASONS),
  details: z.string(),
  status: z.enum(REPORT_STATUSES),
  createdAt: isoTime,
});
export const Report = component('Report', ReportFields);
export const ReportCreated = component('ReportCreated', z.object({ report: Report }));

export const AdminUser = component(
  'AdminUser',
  z.object({
    type: z.literal('user'),
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    bio: z.string(),
    role: z.enum(['user', 'admin']),
    banned: z.object({ reason: z.string(), at: isoTime }).nullable(),
    createdAt: isoTime,
  }),
);
export const AdminVideo = component(
  'AdminVideo',
  Video.extend({ type: z.literal('video'), ownerBanned: z.boolean() }),
  'A video as admins see it, whatever its visibility',
);
export const AdminComment = component(
  'AdminComment',
  z.object({
    type: z.literal('comment'),
    id: z.string(),
    videoId: z.string(),
    text: z.string(),
    author: z.object({ id: z.string(), username: z.string(), banned: z.boolean() }),
    createdAt: isoTime,
  }),
);
export const AdminReport = component(
  'AdminReport',
  ReportFields.extend({
    reporter: z.object({ id: z.string(), username: z.string() }).nullable(),
    target: z
      .discriminatedUnion('type', [AdminVideo, AdminComment, AdminUser])
      .nullable()
      .describe('The reported thing as it is now; null once deleted'),
    openReportsOnTarget: z.number().int(),
    resolution: z
      .object({ note: z.string(), by: z.object({ id: z.string(), username: z.string() }).nullable(), at: isoTime })
      .nullable(),
  }),
);
export const AdminReportEnvelope = component('AdminReportEnvelope', z.object({ report: AdminReport }));
export const AdminReportPage = component('AdminReportPage', page(AdminReport));
export const AdminVideoEnvelope = component('AdminVideoEnvelope', z.object({ video: AdminVideo }));
export const AdminUserEnvelope = component('AdminUserEnvelope', z.object({ user: AdminUser.extend({ videoCount: z.number().int() }) }));
