/**
 * Typed domain errors. Every error carries a stable, machine-readable `code`;
 * only the HTTP layer (src/http/error-map.ts) decides which status a code maps to.
 */
export const ERROR_CODES = [
  // generic
  'validation_failed',
  'invalid_json',
  'payload_too_large',
  'not_found',
  'internal_error',
  'rate_limited',
  'too_many_streams',
  'method_not_allowed',
  // Idempotency-Key on creating POSTs
  'idempotency_key_reused',
  'idempotency_key_in_use',
  // auth
  'unauthorized',
  'invalid_credentials',
  'wrong_password',
  'username_taken',
  'forbidden',
  // uploads / storage
  'unsupported_media_type',
  'upload_too_large',
  'upload_not_found',
  'upload_incomplete',
  'upload_state_conflict',
  'upload_in_progress',
  'upload_timeout',
  'storage_full',
  'signature_invalid',
  'signature_expired',
  'size_mismatch',
  'content_type_mismatch',
  'object_not_found',
  'object_archived',
  'range_not_satisfiable',
  // videos
  'video_not_found',
  'followers_only',
  'video_not_ready',
  'video_archived',
  'not_archived',
  'restore_rate_limited',
  'cover_time_out_of_range',
  'publish_time_invalid',
  'already_published',
  'invalid_cursor',
  // profiles and social
  'user_not_found',
  'cannot_follow_self',
  'cannot_mark_own_video',
  'comment_not_found',
  'comments_disabled',
  'liked_videos_private',
  'invalid_image',
  'image_dimensions_too_large',
  'image_processing_busy',
  // playback events
  'device_id_required',
  // safety: bans, blocks, reports, moderation, quotas
  'account_banned',
  'user_blocked',
  'cannot_block_self',
  'cannot_report_self',
  'already_reported',
  'report_not_found',
  'report_closed',
  'cannot_ban_admin',
  'upload_quota_exceeded',
  // webhooks
  'webhook_endpoint_not_found',
  'webhook_delivery_not_found',
  'webhook_url_invalid',
  'webhook_url_forbidden',
  'webhook_endpoint_limit',
  // notifications
  'notification_not_found',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (details) this.details = details;
  }
}

/**
 * Out of disk space or quota: ENOSPC / EDQUOT from the filesystem, SQLSTATE
 * 53100 (disk_full) from PostgreSQL or PGlite.
 */
export function isOutOfSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === '53100';
}

/** The domain error for a full disk: 507, retry later (`/readyz` says not ready meanwhile). */
export function storageFull(details?: Record<string, unknown>): AppError {
  return new AppError('storage_full', 'The server is out of storage space; try again later.', details);
}

/** Reason codes a video can fail with; stored on the video and shown to its owner. */
export type MediaFailureCode =
  | 'empty_file'
  | 'unrecognized_format'
  | 'unsupported_container'
  | 'playlist_not_allowed'
  | 'no_video_stream'
  | 'unsupported_codec'
  | 'corrupt_media'
  | 'truncated_media'
  | 'dimensions_too_large'
  | 'dimensions_invalid'
  | 'pixel_rate_too_high'
  | 'pixel_budget_exceeded'
  | 'duration_too_long'
  | 'duration_invalid'
  | 'transcode_failed'
  | 'transcode_timeout'
  | 'processing_failed';

/**
 * A problem with the uploaded media itself. Retrying cannot fix it, so the job
 * ends and the video becomes `failed` with this reason.
 */
export class MediaError extends Error {
  readonly code: MediaFailureCode;

  constructor(code: MediaFailureCode, message: string) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
  }
}
