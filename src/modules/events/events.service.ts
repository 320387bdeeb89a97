import { AppError } from '../../errors.js';
import { isForeignKeyViolation } from '../../lib/db-errors.js';
import type { EventsRepository, StoredEvent } from './events.repository.js';
import type { EventsBatch, EventsResult } from './events.schema.js';
import type { Viewer } from '../../lib/http/viewer.js';
import { clampClientTime, qualifiesAsView, viewPeriod } from './view-rule.js';
import { addressTag, type DeviceAdmission } from './anonymous-viewers.js';

export interface AnonymousViewing {
  /** Which anonymous devices an address brings count (EVENTS_NEW_DEVICES_PER_IP). */
  admission: DeviceAdmission;
  /** Anonymous views per address, per video, per period (EVENTS_ANON_VIEWS_PER_IP). */
  viewsPerAddress: number;
  /** Key of the address hashes stored with view records. */
  secret: string;
}

/**
 * Playback events from the player: stored for the recommender, and turned
 * into views. The batch is validated as a whole (a malformed one is a 400);
 * events naming a video this viewer cannot see — missing, deleted, private,
 * followers-only — are dropped silently and counted in `dropped`, so a player
 * that outlived a deletion does not lose the rest of its batch, and the
 * answer reveals nothing about hidden videos beyond "not accepted".
 *
 * Anonymous viewers are bounded per client address (see
 * anonymous-viewers.ts): a device beyond its address's allowance of new ids
 * has its events stored but never counted, and an address adds at most its
 * budget of views to one video per period, however many devices it names.
 */
export class EventsService {
  constructor(
    private readonly repo: EventsRepository,
    private readonly anonymous: AnonymousViewing,
    /** Told which videos just counted a view (their cached anonymous answers carry counters): one call per batch. */
    private readonly countersChanged: (videoIds: readonly string[]) => Promise<void> = async () => undefined,
    private readonly now: () => Date = () => new Date(),
    /** Told how many events went into the lake's buffer (with the events table rows). */
    private readonly buffered: (n: number) => void = () => undefined,
  ) {}

  /**
   * `viewer.deviceId` was validated with the request (DeviceHeader);
   * `address` is the client's address as per-IP limits count it (clientKey).
   */
  async ingest({ user, deviceId }: Viewer, batch: EventsBatch, address: string): Promise<EventsResult> {
    let counted = true;
    if (!user) {
      if (!deviceId) throw new AppError('device_id_required', 'Sign in, or name this device with an X-Device-Id header.');
      counted = await this.anonymous.admission.admit(address, deviceId);
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
        creatorId: video.ownerId,
        durationMs: video.durationMs,
        source: e.source ?? null,
      });
      if (counted && qualifiesAsView(e, video.durationMs)) viewed.add(e.videoId);
    }
    const viewer = { userId: user?.id ?? null, deviceId };
    const viewerKey = user ? `u:${user.id}` : `d:${deviceId}`;
    let views: string[];
    try {
      views = await this.repo.record(viewer, stored, receivedAt, counted, {
        videoIds: [...viewed],
        viewerKey,
        period: viewPeriod(receivedAt),
        address: user ? null : addressTag(this.anonymous.secret, address),
        budget: this.anonymous.viewsPerAddress,
      });
    } catch (err) {
      // A video was deleted between the check and the write; the player may resend.
      if (isForeignKeyViolation(err)) throw new AppError('video_not_found', 'A video in the batch was just deleted; send the batch again.');
      throw err;
    }
    if (stored.length > 0) this.buffered(stored.length);
    if (views.length > 0) await this.countersChanged(views);
    return { accepted: stored.length, dropped: batch.events.length - stored.length, viewsCounted: views.length };
  }
}
