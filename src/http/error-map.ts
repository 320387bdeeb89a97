import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { AppError, isOutOfSpace, storageFull, type ErrorCode } from '../errors.js';

/** The one table that turns domain error codes into HTTP statuses. */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_cursor: 400,
  payload_too_large: 413,
  not_found: 404,
  internal_error: 500,
  rate_limited: 429,
  too_many_streams: 429,
  method_not_allowed: 405,
  // The key names another request (a different body or route): a client bug, not a state to retry.
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  unauthorized: 401,
  invalid_credentials: 401,
  // Not 401: the session is fine, only the password given to confirm an action is not.
  wrong_password: 403,
  username_taken: 409,
  forbidden: 403,
  unsupported_media_type: 415,
  upload_too_large: 413,
  upload_not_found: 404,
  upload_incomplete: 409,
  upload_state_conflict: 409,
  upload_in_progress: 409,
  upload_timeout: 408,
  storage_full: 507,
  signature_invalid: 403,
  signature_expired: 403,
  size_mismatch: 400,
  content_type_mismatch: 400,
  object_not_found: 404,
  // An archived object read before a restore made a copy readable (S3: 403 InvalidObjectState); callers restore first.
  object_archived: 409,
  range_not_satisfiable: 416,
  video_not_found: 404,
  // Only for the video itself, to a viewer whose one obstacle is not following its owner (visibility.ts).
  followers_only: 403,
  // The video has no renditions yet (or any more): a cover frame waits for processing.
  video_not_ready: 409,
  // Its renditions were archived: POST /videos/{id}/restore brings them back.
  video_archived: 409,
  not_archived: 409,
  restore_rate_limited: 429,
  cover_time_out_of_range: 422,
  publish_time_invalid: 400,
  already_published: 409,
  user_not_found: 404,
  cannot_follow_self: 400,
  cannot_mark_own_video: 400,
  comment_not_found: 404,
  comments_disabled: 403,
  // Someone else's liked videos, while they keep them private (the default).
  liked_videos_private: 403,
  invalid_image: 422,
  image_dimensions_too_large: 413,
  image_processing_busy: 503,
  device_id_required: 400,
  account_banned: 403,
  user_blocked: 403,
  cannot_block_self: 400,
  cannot_report_self: 400,
  already_reported: 409,
  report_not_found: 404,
  report_closed: 409,
  cannot_ban_admin: 403,
  upload_quota_exceeded: 429,
  webhook_endpoint_not_found: 404,
  webhook_delivery_not_found: 404,
  webhook_url_invalid: 400,
  webhook_url_forbidden: 400,
  webhook_endpoint_limit: 409,
  notification_not_found: 404,
};

export function statusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const UNKNOWN_FIELD = 'unknown field';

/** One issue per field: fields a strict object does not declare are each named by their own path. */
function fieldIssues(path: readonly string[], message: string, code: string, keys: unknown): Array<{ path: string; message: string }> {
  if (code === 'unrecognized_keys' && Array.isArray(keys) && keys.length > 0) {
    return keys.map((key) => ({ path: [...path, String(key)].join('.'), message: UNKNOWN_FIELD }));
  }
  return [{ path: path.join('.'), message }];
}

/** Maps any thrown value to `{error: {code, message}}` with the right status. */
export function handleError(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
  // A full disk anywhere (a write of the store, the database's files, a work folder) is a clear, retryable answer.
  const err = !(thrown instanceof AppError) && isOutOfSpace(thrown) ? storageFull() : thrown;
  if (reply.sent || reply.raw.headersSent) {
    request.log.warn({ err }, 'error after response started');
    return;
  }
  if (err instanceof AppError) {
    const status = statusFor(err.code);
    // A 503 sheds load on purpose (too busy right now): worth a warning, not an error per refused request.
    if (status === 503) request.log.warn({ code: err.code }, err.message);
    else if (status >= 500) request.log.error({ err }, err.message);
    // 429s, 503s and a busy upload slot say when to come back: `details.retryAfter` seconds, also as the standard header.
    const retryAfter = err.details?.retryAfter;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    void reply.status(status).send(errorBody(err.code, err.message, err.details));
    return;
  }
  // A route's request schema refused the input (or a service's own parse did).
  const issues = hasZodFastifySchemaValidationErrors(err)
    ? err.validation.flatMap((i) =>
        fieldIssues(i.instancePath.replace(/^\//, '').split('/').filter(Boolean), i.message ?? 'invalid', i.keyword, i.params['keys']),
      )
    : err instanceof ZodError
      ? err.issues.flatMap((i) => fieldIssues(i.path.map(String), i.message, i.code, 'keys' in i ? i.keys : undefined))
      : null;
  if (issues) {
    const unknown = issues.filter((i) => i.message === UNKNOWN_FIELD);
    const first = issues[0];
    const message =
      unknown.length > 0
        ? `Invalid request: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((i) => `"${i.path}"`).join(', ')}`
        : first
          ? `Invalid request: ${first.path ? `${first.path}: ` : ''}${first.message}`
          : 'Invalid request';
    void reply.status(400).send(errorBody('validation_failed', message, issues));
    return;
  }
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      void reply.status(413).send(errorBody('payload_too_large', 'The request body is larger than this endpoint accepts.'));
      return;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      void reply.status(415).send(errorBody('unsupported_media_type', 'Send JSON with Content-Type: application/json.'));
      return;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      void reply.status(400).send(errorBody('invalid_json', 'The request body is not valid JSON.'));
      return;
    default:
      break;
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    void reply.status(400).send(errorBody('invalid_json', 'The request body is not valid JSON.'));
    return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send(errorBody('validation_failed', fe.message));
    return;
  }
  request.log.error({ err }, 'unhandled error');
  void reply.status(500).send(errorBody('internal_error', 'Something went wrong on our side.'));
}
