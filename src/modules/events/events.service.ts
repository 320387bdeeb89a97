import { z } from 'zod';
import { AppError } from '../../errors.js';
import { isForeignKeyViolation } from '../../lib/db-errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { EventsRepository, StoredEvent } from './events.repository.js';
import { clampClientTime, qualifiesAsView, viewPeriod } from './view-rule.js';

export const MAX_EVENTS_PER_BATCH = 100;
/** Anonymous viewers name their device: a UUID or any 16–64 URL-safe characters. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export const EventsBatchSchema = z
  .object({
    events: z
      .array(
        z
          .object({
            type: z.enum(['impression', 'play', 'progress', 'complete', 'skip']),
            videoId: z.string().regex(ID_PATTERN, 'not a video id'),
            watchedMs: z.number().int().min(0).max(86_400_000).optional(),
            /** ISO 8601 with offset, or milliseconds since the epoch. */
            at: z.union([z.iso.datetime({ offset: true }), z.number().int().min(0).max(8.64e15)]).optional(),
          })
          .strict(),
      )
      .min(1, 'send at least one event')
      .max(MAX_EVENTS_PER_BATCH, `at most ${MAX_EVENTS_PER_BATCH} events per batch`),
  })
  .strict();
export type EventsBatch = z.infer<typeof EventsBatchSchema>;

export interface EventsResult {
  /** Events stored. */
  accepted: number;
  /** Events for videos that do not exist or that this viewer may not see: not stored. */
  dropped: number;
  /** Videos whose view this batch counted (at most once per viewer and day). */
  viewsCounted: number;
}

/**
 * Playback events from the player: stored for the recommender, and turned
 * into views. The batch is validated as a whole (a malformed one is a 400);
 * events naming a video this viewer cannot see — missing, deleted, private,
 * followers-only — are dropped silently and counted in `dropped`, so a player
 * that outlived a deletion does not lose the rest of its batch, and the
 * answer reveals nothing about hidden videos beyond "not accepted".
 */
export class EventsService {
  constructor(
    private readonly repo: EventsRepository,
    /** Told which videos just counted a view (their cached anonymous answers carry counters). */
    private readonly countersChanged: (videoId: string) => Promise<void> = async () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async ingest(user: PublicUser | null, deviceIdHeader: string | undefined, batch: EventsBatch): Promise<EventsResult> {
    let deviceId: string | null = null;
    if (deviceIdHeader !== undefined) {
      if (!DEVICE_ID_PATTERN.test(deviceIdHeader)) {
        throw new AppError('validation_failed', 'X-Device-Id must be 16–64 characters of A–Z, a–z, 0–9, "_" or "-".');
      }
      deviceId = deviceIdHeader;
    }
    if (!user && !deviceId) {
      throw new AppError('device_id_required', 'Sign in, or name this device with an X-Device-Id header.');
    }
    const receivedAt = this.now();
    const visible = await this.repo.viewableVideos([...new Set(batch.events.map((e) => e.videoId))], user?.id ?? null);

    const stored: StoredEvent[] = [];
    const viewed = new Set<string>();
    for (const e of batch.events) {
      const video = visible.get(e.videoId);
      if (!video) continue;
      stored.push({
        type: e.type,
        videoId: e.videoId,
        watchedMs: e.watchedMs ?? null,
        clientAt: clampClientTime(e.at === undefined ? undefined : new Date(e.at), receivedAt),
      });
      if (qualifiesAsView(e, video.durationMs)) viewed.add(e.videoId);
    }
    const viewer = { userId: user?.id ?? null, deviceId };
    const viewerKey = user ? `u:${user.id}` : `d:${deviceId}`;
    let counted: string[];
    try {
      counted = await this.repo.record(viewer, stored, receivedAt, { videoIds: [...viewed], viewerKey, period: viewPeriod(receivedAt) });
    } catch (err) {
      // A video was deleted between the check and the write; the player may resend.
      if (isForeignKeyViolation(err)) throw new AppError('video_not_found', 'A video in the batch was just deleted; send the batch again.');
      throw err;
    }
    await Promise.all(counted.map((id) => this.countersChanged(id)));
    return { accepted: stored.length, dropped: batch.events.length - stored.length, viewsCounted: counted.length };
  }
}
