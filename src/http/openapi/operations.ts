import { z } from 'zod';
import { CredentialsSchema } from '../../modules/accounts/accounts.service.js';
import { UpdateProfileSchema } from '../../modules/accounts/profiles.service.js';
import { TagParams } from '../../modules/discovery/discovery.routes.js';
import { SearchQuery } from '../../modules/discovery/discovery.service.js';
import { EventsBatchSchema } from '../../modules/events/events.service.js';
import { ModerationReasonSchema } from '../../modules/safety/moderation.service.js';
import { CloseReportSchema, CreateReportSchema, ReportQueueQuery } from '../../modules/safety/reports.service.js';
import { ReportIdParams, UsernameParams, VideoIdParams } from '../../modules/safety/safety.routes.js';
import { CreateCommentSchema } from '../../modules/social/comments.service.js';
import { CommentParams, CommentsQuery } from '../../modules/social/social.routes.js';
import { CompleteUploadSchema, CreateUploadSchema } from '../../modules/uploads/uploads.service.js';
import { UpdateVideoSchema } from '../../modules/videos/video-management.service.js';
import { FeedQuery } from '../../modules/videos/videos.routes.js';
import { ForYouQuery } from '../../modules/recs/for-you.service.js';
import { PageQuery } from '../../lib/pagination.js';
import * as R from './schemas.js';

/**
 * Every endpoint the server registers, for the OpenAPI document. Request
 * schemas are the ones the routes parse with; responses come from
 * schemas.ts. test/e2e/openapi.test.ts fails when a registered route is
 * missing here.
 */

/** Request bodies, by component name (converted as inputs: defaults and transforms as a client sends them). */
export const requests = z.registry<{ id: string }>();
const body = <T extends z.ZodType>(id: string, schema: T): T => {
  requests.add(schema, { id });
  return schema;
};
const Credentials = body('Credentials', CredentialsSchema);
const CreateUpload = body('CreateUpload', CreateUploadSchema);
const CompleteUpload = body('CompleteUpload', CompleteUploadSchema.unwrap());
const UpdateVideo = body('UpdateVideo', UpdateVideoSchema);
const UpdateProfile = body('UpdateProfile', UpdateProfileSchema);
const CreateComment = body('CreateComment', CreateCommentSchema);
const EventsBatch = body('EventsBatch', EventsBatchSchema);
const CreateReport = body('CreateReport', CreateReportSchema);
const CloseReport = body('CloseReport', CloseReportSchema);
const ModerationReason = body('ModerationReason', ModerationReasonSchema);

export type Auth = 'none' | 'optional' | 'user' | 'admin';
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface Operation {
  method: Method;
  /** The Fastify route URL (`:param`, `*`). */
  url: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  /** A JSON body (one of `requests`); `bodyOptional` when it may be left out. */
  body?: z.ZodType;
  bodyOptional?: boolean;
  /** A non-JSON body (bytes). */
  rawBody?: { contentTypes: string[]; description: string };
  ok: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Error statuses besides the ones implied (400 with input, 401/403 by auth, 429 when rate limited). */
  errors?: number[];
  /** The rate-limit action the route counts against (see the README's configuration table). */
  rateLimit?: string;
}

const VideoParams = VideoIdParams;
const WildcardParams = z.object({ path: z.string().describe('Object key below the prefix (may contain "/")') });
const SignedMediaParams = z.object({
  expires: z.string().regex(/^\d{1,12}$/).describe('Expiry, Unix seconds'),
  sig: z.string().describe('HMAC signature of the rendition prefix'),
  path: z.string().describe('`<videoId>/<revision>/<key>`'),
});
const DeviceHeader = z.object({
  'x-device-id': z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .optional()
    .describe('Names an anonymous viewer (required when not signed in)'),
});
const ok = (schema: z.ZodType, description = 'OK', status = 200) => ({ status, description, schema });
const noContent = { status: 204, description: 'Done (no body)' };

export const OPERATIONS: Operation[] = [
  // ------------------------------------------------------------------ system
  { method: 'GET', url: '/healthz', tag: 'system', summary: 'Liveness', auth: 'none', ok: ok(R.Health) },
  { method: 'GET', url: '/readyz', tag: 'system', summary: 'Readiness (database, cache, storage reachable)', auth: 'none', ok: ok(R.Health), errors: [503] },
  {
    method: 'GET',
    url: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics',
    description: 'Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).',
    auth: 'none',
    ok: { status: 200, description: 'Prometheus text exposition format', contentType: 'text/plain' },
    errors: [401],
  },
  {
    method: 'GET',
    url: '/api/v1/openapi.json',
    tag: 'system',
    summary: 'This document (OpenAPI 3.1)',
    auth: 'none',
    ok: { status: 200, description: 'The OpenAPI document', contentType: 'application/json' },
  },
  {
    method: 'GET',
    url: '/api/docs',
    tag: 'system',
    summary: 'Interactive API documentation (HTML)',
    auth: 'none',
    ok: { status: 200, description: 'HTML page', contentType: 'text/html' },
  },
  {
    method: 'GET',
    url: '/api/docs/app.js',
    tag: 'system',
    summary: "The documentation page's script",
    auth: 'none',
    ok: { status: 200, description: 'JavaScript', contentType: 'text/javascript' },
  },

  // -------------------------------------------------------------------- auth
  {
    method: 'POST',
    url: '/api/v1/auth/signup',
    tag: 'auth',
    summary: 'Create an account and sign in',
    auth: 'none',
    body: Credentials,
    ok: ok(R.AuthResult, 'Created', 201),
    errors: [409],
    rateLimit: 'signup (per IP)',
  },
  {
    method: 'POST',
    url: '/api/v1/auth/login',
    tag: 'auth',
    summary: 'Sign in',
    description: 'A banned account gets 403 `account_banned` (with the reason) after a correct password.',
    auth: 'none',
    body: Credentials,
    ok: ok(R.AuthResult),
    errors: [403],
    rateLimit: 'login (per IP; failed attempts per username)',
  },
  { method: 'POST', url: '/api/v1/auth/logout', tag: 'auth', summary: 'Revoke the bearer token', auth: 'user', ok: noContent },
  { method: 'GET', url: '/api/v1/me', tag: 'auth', summary: 'The signed-in account', auth: 'user', ok: ok(R.Me) },

  // ----------------------------------------------------------------- uploads
  {
    method: 'POST',
    url: '/api/v1/uploads',
    tag: 'uploads',
    summary: 'Start an upload',
    description:
      'Returns signed URL(s) to PUT the file to. Counts against the daily upload quota (uploads and bytes per UTC day): over it, 429 `upload_quota_exceeded` with Retry-After (seconds to midnight UTC).',
    auth: 'user',
    body: CreateUpload,
    ok: ok(R.CreatedUpload, 'Created', 201),
    errors: [413, 415],
    rateLimit: 'upload',
  },
  {
    method: 'GET',
    url: '/api/v1/uploads/limits',
    tag: 'uploads',
    summary: "The server's upload limits (size, duration, types, daily quota) for checks before uploading",
    auth: 'none',
    ok: ok(R.UploadLimits),
  },
  {
    method: 'GET',
    url: '/api/v1/uploads/:id',
    tag: 'uploads',
    summary: 'Where an upload stands (fresh URLs for missing parts)',
    auth: 'user',
    params: VideoParams,
    ok: ok(R.UploadStatus),
    errors: [404],
  },
  {
    method: 'POST',
    url: '/api/v1/uploads/:id/complete',
    tag: 'uploads',
    summary: 'Finish an upload (idempotent)',
    auth: 'user',
    params: VideoParams,
    body: CompleteUpload,
    bodyOptional: true,
    ok: ok(R.Video),
    errors: [404, 409],
  },

  // ------------------------------------------------------------------ videos
  {
    method: 'GET',
    url: '/api/v1/videos/:id',
    tag: 'videos',
    summary: 'A video',
    description: 'Hidden videos (not yours, not visible to you, taken down, blocked) answer 404 `video_not_found`.',
    auth: 'optional',
    params: VideoParams,
    ok: ok(R.Video),
    errors: [404],
  },
  {
    method: 'PATCH',
    url: '/api/v1/videos/:id',
    tag: 'videos',
    summary: 'Edit caption, visibility, comments switch (owner)',
    auth: 'user',
    params: VideoParams,
    body: UpdateVideo,
    ok: ok(R.Video),
    errors: [403, 404],
  },
  {
    method: 'DELETE',
    url: '/api/v1/videos/:id',
    tag: 'videos',
    summary: 'Delete a video, its engagement and its media (owner)',
    auth: 'user',
    params: VideoParams,
    ok: noContent,
    errors: [403, 404],
  },
  {
    method: 'GET',
    url: '/api/v1/videos/:id/events',
    tag: 'videos',
    summary: 'Processing status as Server-Sent Events',
    description: '`event: status` with a Video on every change until ready or failed; `event: gone` when it disappears.',
    auth: 'optional',
    params: VideoParams,
    ok: { status: 200, description: 'An event stream', contentType: 'text/event-stream' },
    errors: [404],
  },

  // ------------------------------------------------------------------- feeds
  { method: 'GET', url: '/api/v1/feed', tag: 'feeds', summary: 'Ready public videos, newest first', auth: 'optional', query: FeedQuery, ok: ok(R.VideoPage) },
  {
    method: 'GET',
    url: '/api/v1/feed/following',
    tag: 'feeds',
    summary: 'Videos from people you follow',
    auth: 'user',
    query: PageQuery,
    ok: ok(R.VideoPage),
  },
  {
    method: 'GET',
    url: '/api/v1/feed/trending',
    tag: 'feeds',
    summary: 'Most engagement in the last 72 h',
    auth: 'optional',
    query: PageQuery,
    ok: ok(R.VideoPage),
  },

  {
    method: 'GET',
    url: '/api/v1/feed/for-you',
    tag: 'feeds',
    summary: 'The personalised "For You" feed',
    description:
      'Signed in, or anonymous with X-Device-Id (without either: an unpersonalised ranking). Adapts to the viewer\'s latest ' +
      'events on every request; never repeats what the viewer saw recently or earlier pages of the same cursor chain. ' +
      'Pass nextCursor back for the next page; a null nextCursor means the pool is exhausted for now.',
    auth: 'optional',
    headers: DeviceHeader,
    query: ForYouQuery,
    ok: ok(R.VideoPage),
  },

  // ---------------------------------------------------------------- profiles
  { method: 'GET', url: '/api/v1/users/:username', tag: 'profiles', summary: 'A profile', auth: 'optional', params: UsernameParams, ok: ok(R.Profile), errors: [404] },
  {
    method: 'GET',
    url: '/api/v1/users/:username/videos',
    tag: 'profiles',
    summary: "A profile's videos",
    auth: 'optional',
    params: UsernameParams,
    query: PageQuery,
    ok: ok(R.VideoPage),
    errors: [404],
  },
  { method: 'PATCH', url: '/api/v1/me', tag: 'profiles', summary: 'Edit display name and bio', auth: 'user', body: UpdateProfile, ok: ok(R.Profile) },
  {
    method: 'PUT',
    url: '/api/v1/me/avatar',
    tag: 'profiles',
    summary: 'Upload an avatar',
    description: 'Raw image bytes (≤ 5 MiB); stored as a 256×256 JPEG.',
    auth: 'user',
    rawBody: { contentTypes: ['image/jpeg', 'image/png', 'image/webp'], description: 'The image' },
    ok: ok(R.Profile),
    errors: [413, 415, 422],
  },
  {
    method: 'GET',
    url: '/avatars/*',
    tag: 'media',
    summary: 'An avatar image (immutable; Range and ETag supported)',
    auth: 'none',
    params: WildcardParams,
    ok: { status: 200, description: 'JPEG bytes', contentType: 'image/jpeg' },
    errors: [404, 416],
  },

  // ------------------------------------------------------------------ social
  {
    method: 'PUT',
    url: '/api/v1/users/:username/follow',
    tag: 'social',
    summary: 'Follow (idempotent)',
    description: '403 `user_blocked` when a block stands between you.',
    auth: 'user',
    params: UsernameParams,
    ok: ok(R.FollowResult),
    errors: [403, 404],
  },
  {
    method: 'DELETE',
    url: '/api/v1/users/:username/follow',
    tag: 'social',
    summary: 'Unfollow (idempotent)',
    auth: 'user',
    params: UsernameParams,
    ok: ok(R.FollowResult),
    errors: [404],
  },
  {
    method: 'GET',
    url: '/api/v1/users/:username/followers',
    tag: 'social',
    summary: 'Followers',
    auth: 'optional',
    params: UsernameParams,
    query: PageQuery,
    ok: ok(R.FollowPage),
    errors: [404],
  },
  {
    method: 'GET',
    url: '/api/v1/users/:username/following',
    tag: 'social',
    summary: 'Following',
    auth: 'optional',
    params: UsernameParams,
    query: PageQuery,
    ok: ok(R.FollowPage),
    errors: [404],
  },
  { method: 'PUT', url: '/api/v1/videos/:id/like', tag: 'social', summary: 'Like (idempotent)', auth: 'user', params: VideoParams, ok: ok(R.LikeResult), errors: [404], rateLimit: 'like' },
  { method: 'DELETE', url: '/api/v1/videos/:id/like', tag: 'social', summary: 'Unlike (idempotent)', auth: 'user', params: VideoParams, ok: ok(R.LikeResult), errors: [404], rateLimit: 'like' },
  { method: 'PUT', url: '/api/v1/videos/:id/bookmark', tag: 'social', summary: 'Bookmark (idempotent)', auth: 'user', params: VideoParams, ok: ok(R.BookmarkResult), errors: [404] },
  { method: 'DELETE', url: '/api/v1/videos/:id/bookmark', tag: 'social', summary: 'Remove a bookmark (idempotent)', auth: 'user', params: VideoParams, ok: ok(R.BookmarkResult) },
  { method: 'GET', url: '/api/v1/me/bookmarks', tag: 'social', summary: 'Your bookmarks', auth: 'user', query: PageQuery, ok: ok(R.VideoPage) },
  {
    method: 'POST',
    url: '/api/v1/videos/:id/share',
    tag: 'social',
    summary: 'Count a share and get a link',
    auth: 'optional',
    params: VideoParams,
    ok: ok(R.ShareResult),
    errors: [404],
    rateLimit: 'share',
  },
  {
    method: 'GET',
    url: '/api/v1/videos/:id/comments',
    tag: 'social',
    summary: 'Comments (or, with parentId, replies)',
    description:
      "Comments of banned accounts, of people in a block with you, and of people the video's owner blocked are left out.",
    auth: 'optional',
    params: VideoParams,
    query: CommentsQuery,
    ok: ok(R.CommentPage),
    errors: [404],
  },
  {
    method: 'POST',
    url: '/api/v1/videos/:id/comments',
    tag: 'social',
    summary: 'Comment or reply',
    auth: 'user',
    params: VideoParams,
    body: CreateComment,
    ok: ok(R.Comment, 'Created', 201),
    errors: [403, 404],
    rateLimit: 'comment',
  },
  {
    method: 'DELETE',
    url: '/api/v1/videos/:id/comments/:commentId',
    tag: 'social',
    summary: "Delete a comment (its author, or the video's owner)",
    auth: 'user',
    params: CommentParams,
    ok: noContent,
    errors: [403, 404],
  },
  {
    method: 'PUT',
    url: '/api/v1/videos/:id/comments/:commentId/like',
    tag: 'social',
    summary: 'Like a comment (idempotent)',
    auth: 'user',
    params: CommentParams,
    ok: ok(R.LikeResult),
    errors: [403, 404],
    rateLimit: 'like',
  },
  {
    method: 'DELETE',
    url: '/api/v1/videos/:id/comments/:commentId/like',
    tag: 'social',
    summary: 'Unlike a comment (idempotent)',
    auth: 'user',
    params: CommentParams,
    ok: ok(R.LikeResult),
    errors: [404],
    rateLimit: 'like',
  },

  // ------------------------------------------------------------------ events
  {
    method: 'POST',
    url: '/api/v1/events',
    tag: 'events',
    summary: 'Playback events (batched)',
    description: 'Signed in, or anonymous with X-Device-Id. Events for videos you cannot see are dropped.',
    auth: 'optional',
    headers: DeviceHeader,
    body: EventsBatch,
    ok: ok(R.EventsResult),
  },

  // --------------------------------------------------------------- discovery
  { method: 'GET', url: '/api/v1/search', tag: 'discovery', summary: 'Search people, videos and hashtags', auth: 'optional', query: SearchQuery, ok: ok(R.SearchResult) },
  {
    method: 'GET',
    url: '/api/v1/hashtags/:tag/videos',
    tag: 'discovery',
    summary: 'Videos with a hashtag',
    auth: 'optional',
    params: TagParams,
    query: PageQuery,
    ok: ok(R.HashtagPage),
  },

  // ------------------------------------------------------------------ safety
  {
    method: 'PUT',
    url: '/api/v1/users/:username/block',
    tag: 'safety',
    summary: 'Block someone (idempotent)',
    description:
      "Removes follows both ways. Neither of you sees the other's videos or comments; they cannot follow you, comment on your videos or mention you.",
    auth: 'user',
    params: UsernameParams,
    ok: ok(R.BlockResult),
    errors: [404],
  },
  { method: 'DELETE', url: '/api/v1/users/:username/block', tag: 'safety', summary: 'Unblock (idempotent)', auth: 'user', params: UsernameParams, ok: ok(R.BlockResult), errors: [404] },
  { method: 'GET', url: '/api/v1/me/blocks', tag: 'safety', summary: 'People you blocked', auth: 'user', query: PageQuery, ok: ok(R.BlockPage) },
  {
    method: 'POST',
    url: '/api/v1/reports',
    tag: 'safety',
    summary: 'Report a video, comment or user',
    description:
      'You can report what you can see, never yourself; one open report per target (409 `already_reported` with `details.reportId`). `details` is required with reason `other`.',
    auth: 'user',
    body: CreateReport,
    ok: ok(R.ReportCreated, 'Created', 201),
    errors: [404, 409],
    rateLimit: 'report',
  },

  // ------------------------------------------------------------------- admin
  {
    method: 'GET',
    url: '/api/v1/admin/reports',
    tag: 'admin',
    summary: 'The report queue',
    description: 'Open reports oldest first; resolved or dismissed ones newest first.',
    auth: 'admin',
    query: ReportQueueQuery,
    ok: ok(R.AdminReportPage),
  },
  { method: 'GET', url: '/api/v1/admin/reports/:id', tag: 'admin', summary: 'One report', auth: 'admin', params: ReportIdParams, ok: ok(R.AdminReportEnvelope), errors: [404] },
  {
    method: 'POST',
    url: '/api/v1/admin/reports/:id/resolve',
    tag: 'admin',
    summary: 'Resolve a report',
    description: 'Idempotent; 409 `report_closed` when it was dismissed.',
    auth: 'admin',
    params: ReportIdParams,
    body: CloseReport,
    bodyOptional: true,
    ok: ok(R.AdminReportEnvelope),
    errors: [404, 409],
  },
  {
    method: 'POST',
    url: '/api/v1/admin/reports/:id/dismiss',
    tag: 'admin',
    summary: 'Dismiss a report',
    description: 'Idempotent; 409 `report_closed` when it was resolved.',
    auth: 'admin',
    params: ReportIdParams,
    body: CloseReport,
    bodyOptional: true,
    ok: ok(R.AdminReportEnvelope),
    errors: [404, 409],
  },
  {
    method: 'POST',
    url: '/api/v1/admin/videos/:id/takedown',
    tag: 'admin',
    summary: 'Take a video down',
    description: 'Hidden everywhere; its owner sees it with `takedown: {reason, at}`. Resolves its open reports.',
    auth: 'admin',
    params: VideoParams,
    body: ModerationReason,
    ok: ok(R.AdminVideoEnvelope),
    errors: [404],
  },
  { method: 'DELETE', url: '/api/v1/admin/videos/:id/takedown', tag: 'admin', summary: 'Restore a taken-down video', auth: 'admin', params: VideoParams, ok: ok(R.AdminVideoEnvelope), errors: [404] },
  { method: 'GET', url: '/api/v1/admin/users/:username', tag: 'admin', summary: 'An account, banned or not', auth: 'admin', params: UsernameParams, ok: ok(R.AdminUserEnvelope), errors: [404] },
  {
    method: 'POST',
    url: '/api/v1/admin/users/:username/ban',
    tag: 'admin',
    summary: 'Ban an account',
    description:
      'Revokes its sessions; login answers 403 `account_banned`; its profile, videos and comments are hidden everywhere. Admins cannot be banned (403 `cannot_ban_admin`).',
    auth: 'admin',
    params: UsernameParams,
    body: ModerationReason,
    ok: ok(R.AdminUserEnvelope),
    errors: [404],
  },
  { method: 'DELETE', url: '/api/v1/admin/users/:username/ban', tag: 'admin', summary: 'Lift a ban', auth: 'admin', params: UsernameParams, ok: ok(R.AdminUserEnvelope), errors: [404] },

  // ------------------------------------------------------------------- media
  {
    method: 'GET',
    url: '/media/*',
    tag: 'media',
    summary: 'Renditions of ready public or unlisted videos',
    description: 'Use the URLs in `playback`. Range, ETag/If-None-Match; immutable Cache-Control.',
    auth: 'none',
    params: WildcardParams,
    ok: { status: 200, description: 'Playlist, segment, MP4 or poster bytes', contentType: 'application/octet-stream' },
    errors: [404, 416],
  },
  {
    method: 'GET',
    url: '/media/s/:expires/:sig/*',
    tag: 'media',
    summary: 'Signed, expiring rendition URLs (followers-only, private, unpublished videos)',
    description: 'Handed out in `playback`; private Cache-Control.',
    auth: 'none',
    params: SignedMediaParams,
    ok: { status: 200, description: 'Playlist, segment, MP4 or poster bytes', contentType: 'application/octet-stream' },
    errors: [403, 404, 416],
  },
  { method: 'OPTIONS', url: '/media/*', tag: 'media', summary: 'CORS preflight', auth: 'none', params: WildcardParams, ok: noContent },
  {
    method: 'PUT',
    url: '/storage/*',
    tag: 'media',
    summary: 'Signed upload target (embedded storage only)',
    description: 'Where `upload.url` points when objects live on the local disk; the query carries the signature.',
    auth: 'none',
    params: WildcardParams,
    rawBody: { contentTypes: ['*/*'], description: 'The file (or part) bytes, exactly the signed size and type' },
    ok: { status: 200, description: 'Stored; the ETag header names the part' },
    errors: [403, 404],
  },
  { method: 'OPTIONS', url: '/storage/*', tag: 'media', summary: 'CORS preflight', auth: 'none', params: WildcardParams, ok: noContent },
];
