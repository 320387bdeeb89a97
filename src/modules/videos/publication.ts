import { z } from 'zod';
import { AppError } from '../../errors.js';

/**
 * The owner's publishing choices — publish now, keep as a draft, or publish
 * at a time — as stored (`videos.publish_at`: the time, or null for a
 * draft). Who sees what before that time is visibility.ts's rule.
 */

/** A schedule further ahead than this is refused (nobody means it; it would hide a video for years). */
export const MAX_SCHEDULE_AHEAD_MS = 90 * 86_400_000;

/** `publishAt` as clients send it: an ISO 8601 time with its offset (`Z` or `+02:00`). */
export const PublishAtSchema = z.iso
  .datetime({ offset: true })
  .describe(
    'Publish at this time (ISO 8601 with an offset). Until then only the owner sees the video, anywhere. ' +
      'It must lie in the future (400 `publish_time_invalid`) and at most 90 days ahead (400 `publish_time_invalid`).',
  );

/** What the owner asked for, as the column stores it: a time, or null for a draft. */
export type PublishChoice = { draft: true } | { publishAt: string } | { now: true };

/**
 * The stored `publish_at` for a choice made at `now` (ms): a draft is null,
 * "now" is now, a time must lie ahead of now and within MAX_SCHEDULE_AHEAD_MS.
 */
export function publishAtFor(choice: PublishChoice, now: number): Date | null {
  if ('draft' in choice) return null;
  if ('now' in choice) return new Date(now);
  const at = new Date(choice.publishAt);
  const t = at.getTime();
  if (Number.isNaN(t)) throw new AppError('publish_time_invalid', `"${choice.publishAt}" is not a time.`);
  if (t <= now) {
    throw new AppError('publish_time_invalid', `The publish time ${at.toISOString()} has already passed; choose a time in the future.`, {
      publishAt: at.toISOString(),
      now: new Date(now).toISOString(),
    });
  }
  if (t - now > MAX_SCHEDULE_AHEAD_MS) {
    throw new AppError(
      'publish_time_invalid',
      `The publish time ${at.toISOString()} is too far away: schedule at most ${MAX_SCHEDULE_AHEAD_MS / 86_400_000} days ahead.`,
      { publishAt: at.toISOString(), latest: new Date(now + MAX_SCHEDULE_AHEAD_MS).toISOString() },
    );
  }
  return at;
}

/** The choice a create or edit body expresses, if any (`draft` and `publishAt` together are refused by the schemas). */
export function publishChoiceOf(body: { draft?: boolean | undefined; publishAt?: string | undefined }): PublishChoice | null {
  if (body.publishAt !== undefined) return { publishAt: body.publishAt };
  if (body.draft === true) return { draft: true };
  if (body.draft === false) return { now: true };
  return null;
}
