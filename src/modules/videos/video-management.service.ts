import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import { enqueueJob } from '../../jobs/job-definition.js';
import { renditionObjectKey, videoMediaFolder } from '../../lib/storage-layout.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { CoverFrames } from './cover-frame.js';
import type { OwnVideoView, UpdateVideoInput, VideoCreatorStatsView } from './videos.schema.js';
import { purgeVideoJob, type PurgeJobPayload } from './purge-video.job.js';
import { applyCoverJob, publishVideoJob, type ApplyCoverJobPayload, type PublishJobPayload } from './publication.job.js';
import { publishAtFor, publishChoiceOf } from './publication.js';
import { isPublished } from './visibility.js';
import type { CreatorStatsRow } from './videos.repository.js';
import { afterCursor, isoTime, keysetPage, type Page } from '../../lib/pagination.js';
import type { VideoEvents } from './video-events.js';
import type { VideoRow } from './video.types.js';
import type { VideosRepository } from './videos.repository.js';
import type { VideosService } from './videos.service.js';
import type { VideoView } from './videos.schema.js';

/** A safety net after the inline purge: also catches objects a racing encode wrote late. */
const PURGE_SWEEP_DELAY_MS = 5 * 60_000;

/** The owner's edits and deletion of a video. */
/** Where whole-history watch time comes from (the analytics module's WatchHistory). */
export interface WatchHistorySource {
  figures(
    ownerId: string,
    videoIds: readonly string[],
  ): Promise<Map<string, { viewers: number; averageWatchMs: number | null; totalWatchMs: number }>>;
}

export class VideoManagementService {
  constructor(
    private readonly db: Database,
    private readonly repo: VideosRepository,
    private readonly videos: VideosService,
    private readonly store: ObjectStore,
    private readonly queue: JobQueue,
    private readonly events: VideoEvents,
    private readonly log: Logger,
    /** Cuts chosen cover frames; absent: `coverTimeMs` edits are refused as not ready. */
    private readonly covers?: CoverFrames,
  ) {}

  /**
   * The owner's edit: caption (its hashtags and mentions linked again),
   * visibility, comments switch, cover frame. A cover is cut first (outside
   * the transaction: it runs ffmpeg), then every field changes in one
   * transaction; the replaced poster is deleted after the commit. A change
   * that withdraws access (visibility) drops the cached row everywhere at
   * once, so signed media and the CDN's revalidation refuse within seconds.
   */
  async update(user: PublicUser, id: string, patch: UpdateVideoInput): Promise<VideoView> {
    const row = await this.ownedRow(user, id);
    const choice = publishChoiceOf(patch);
    const now = Date.now();
    // Checked before any cover is cut: a refused schedule changes nothing.
    const publishAt = choice ? publishAtFor(choice, now) : undefined;
    if (choice && !('now' in choice) && isPublished(row, now)) {
      throw new AppError('already_published', 'This video is already published; it cannot go back to a draft or be scheduled.');
    }
    const cover = patch.coverTimeMs === undefined ? null : await this.cutCover(row, patch.coverTimeMs);
    let replaced = null as string | null;
    try {
      await this.db.transaction(async (tx) => {
        if (!(await this.repo.updateDetails(id, patch, tx))) throw new AppError('video_not_found', `No video with id "${id}".`);
        const stored = choice && 'now' in choice ? 'now' : publishAt;
        if (stored !== undefined && !(await this.repo.setPublishAt(id, stored, tx)) && stored !== 'now') {
          throw new AppError('already_published', 'This video is already published; it cannot go back to a draft or be scheduled.');
        }
        if (publishAt && publishAt.getTime() > now) await this.enqueuePublish(id, publishAt, tx);
        if (cover) {
          const set = await this.repo.setCover(id, cover.prefix, cover.key, cover.atMs, tx);
          if (!set) throw new AppError('video_not_ready', 'The video is being processed again; choose its cover once it is ready.');
          replaced = set.previous;
        }
      });
    } catch (err) {
      if (cover) await this.deleteQuietly(renditionObjectKey(cover.prefix, cover.key), id);
      throw err;
    }
    // Caption, visibility, publication and the poster show in cached feed pages too.
    await this.events.changed(id, { feed: true });
    if (cover && replaced && replaced !== cover.key) await this.deleteQuietly(renditionObjectKey(cover.prefix, replaced), id);
    return this.videos.get(id, user);
  }

  /** At `publishAt`, a worker drops the caches that would hide the video a while longer (see publishVideoJob). */
  private async enqueuePublish(videoId: string, publishAt: Date, executor: SqlExecutor): Promise<void> {
    await enqueueJob(this.queue, publishVideoJob, { videoId, publishAt: publishAt.toISOString() }, { runAt: publishAt, executor });
  }

  /** A scheduled video's time came (publishVideoJob): every process's caches of it and of the lists go. */
  async handlePublishJob(job: Job<PublishJobPayload>): Promise<void> {
    await this.events.changed(job.payload.videoId, { feed: true });
  }

  /** Processing made the video ready: a cover chosen up front is cut now (applyCoverJob). */
  async afterReady(row: VideoRow): Promise<void> {
    if (row.requested_cover_ms === null || row.requested_cover_ms === undefined) return;
    await enqueueJob(this.queue, applyCoverJob, { videoId: row.id });
  }

  /**
   * Cuts the cover the owner chose before the video was ready, at that time
   * (or the last frame, when the choice lies past the end). Nothing to do
   * when the choice was cleared, or the video is not ready (a new processing
   * attempt enqueues it again when it is).
   */
  async handleApplyCoverJob(job: Job<ApplyCoverJobPayload>): Promise<void> {
    const row = await this.repo.get(job.payload.videoId);
    if (row?.status !== 'ready' || row.requested_cover_ms === null || row.duration_ms === null) return;
    const atMs = Math.max(0, Math.min(row.requested_cover_ms, row.duration_ms - 1));
    const cover = await this.cutCover(row, atMs);
    const dropCut = () => this.deleteQuietly(renditionObjectKey(cover.prefix, cover.key), row.id);
    const set = await this.repo.setCover(row.id, cover.prefix, cover.key, cover.atMs).catch(async (err: unknown) => {
      await dropCut();
      throw err;
    });
    // Processed again meanwhile: that attempt's afterReady enqueues the choice again.
    if (!set) return dropCut();
    const replaced = set.previous;
    await this.repo.clearRequestedCover(row.id, row.requested_cover_ms);
    await this.events.changed(row.id, { feed: true });
    if (replaced && replaced !== cover.key) await this.deleteQuietly(renditionObjectKey(cover.prefix, replaced), row.id);
  }

  private watchHistory: WatchHistorySource | null = null;

  /** Watch time over each video's whole history (the lake and the recent events), instead of the events table's window only. */
  useWatchHistory(source: WatchHistorySource): void {
    this.watchHistory = source;
  }

  /** The owner's stats of one of their videos (another account's: 403 `forbidden`, or 404 when it may not even see it). */
  async stats(user: PublicUser, id: string): Promise<VideoCreatorStatsView> {
    await this.ownedRow(user, id);
    const [row] = await this.repo.creatorStats([id]);
    if (!row) throw new AppError('video_not_found', `No video with id "${id}".`);
    return (await this.withHistory(user.id, [creatorStatsView(row)]))[0]!;
  }

  private async withHistory(ownerId: string, stats: VideoCreatorStatsView[]): Promise<VideoCreatorStatsView[]> {
    if (!this.watchHistory || stats.length === 0) return stats;
    const watch = await this.watchHistory.figures(
      ownerId,
      stats.map((s) => s.videoId),
    );
    return stats.map((s) => {
      const w = watch.get(s.videoId);
      return w ? { ...s, ...w } : { ...s, viewers: 0, averageWatchMs: null, totalWatchMs: 0 };
    });
  }

  /** The signed-in owner's videos, every state and publication, newest first, each with its stats. */
  async ownVideos(user: PublicUser, limit: number, cursor?: string): Promise<Page<OwnVideoView>> {
    const rows = await this.repo.listOwn(user.id, limit + 1, afterCursor(cursor || undefined));
    const page = keysetPage(rows, limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    const [views, stats] = await Promise.all([this.videos.present(page.items, user), this.repo.creatorStats(page.items.map((r) => r.id))]);
    const byId = new Map(
      (
        await this.withHistory(
          user.id,
          stats.map((s) => creatorStatsView(s)),
        )
      ).map((s) => [s.videoId, s]),
    );
    return {
      items: views.map((v) => ({ ...v, creatorStats: byId.get(v.id) ?? emptyStats(v.id, v.durationMs) })),
      nextCursor: page.nextCursor,
    };
  }

  /** Checks the time against the video and cuts its poster; returns where it went. */
  private async cutCover(row: VideoRow, atMs: number): Promise<{ prefix: string; key: string; atMs: number }> {
    if (row.status !== 'ready' || !row.media_prefix || !row.playback || row.duration_ms === null || !this.covers) {
      throw new AppError('video_not_ready', 'A cover frame can be chosen once the video is ready.');
    }
    if (atMs >= row.duration_ms) {
      throw new AppError(
        'cover_time_out_of_range',
        `The cover must be taken within the video: 0 to ${Math.max(0, row.duration_ms - 1)} ms (it lasts ${row.duration_ms} ms).`,
        { durationMs: row.duration_ms },
      );
    }
    const [best] = await this.repo.listRenditions(row.id);
    if (!best) throw new AppError('video_not_ready', 'The video has no renditions to take a cover from.');
    const key = await this.covers.cut(row.media_prefix, best, atMs);
    return { prefix: row.media_prefix, key, atMs };
  }

  private async deleteQuietly(key: string, videoId: string): Promise<void> {
    try {
      await this.store.delete(key);
    } catch (err) {
      // Left behind under the video's folder: deleting the video removes it.
      this.log.warn({ err, videoId, key }, 'deleting a replaced poster failed');
    }
  }

  /**
   * Deletes the row (likes, comments, views… go with it) and, in the same
   * transaction, enqueues a delayed purge of its objects; then purges at once,
   * so the original and every rendition are gone when this returns.
   */
  async delete(user: PublicUser, id: string): Promise<void> {
    await this.ownedRow(user, id);
    const deleted = await this.db.transaction(async (tx) => {
      const row = await this.repo.delete(id, tx);
      if (!row) return null;
      const payload: PurgeJobPayload = { videoId: row.id, originalKey: row.original_key, multipartUploadId: row.multipart_upload_id };
      await enqueueJob(this.queue, purgeVideoJob, payload, { runAt: new Date(Date.now() + PURGE_SWEEP_DELAY_MS), executor: tx });
      return payload;
    });
    if (!deleted) throw new AppError('video_not_found', `No video with id "${id}".`);
    await this.events.changed(id, { feed: true });
    try {
      await this.purge(deleted);
    } catch (err) {
      // The queued purge retries it.
      this.log.warn({ err, videoId: id }, 'purging a deleted video failed; the purge job will retry');
    }
  }

  /**
   * Deletes every video of `ownerId` in the caller's transaction (an account
   * being deleted), queueing each one's purge in it as `delete` does, so the
   * objects go even if the process stops right after the commit. Hand the
   * result to `afterDeleteAll` once the transaction committed.
   */
  async deleteAllOf(ownerId: string, tx: SqlExecutor): Promise<PurgeJobPayload[]> {
    const payloads: PurgeJobPayload[] = [];
    for (const row of await this.repo.deleteAllOf(ownerId, tx)) {
      const payload: PurgeJobPayload = { videoId: row.id, originalKey: row.original_key, multipartUploadId: row.multipart_upload_id };
      await enqueueJob(this.queue, purgeVideoJob, payload, { runAt: new Date(Date.now() + PURGE_SWEEP_DELAY_MS), executor: tx });
      payloads.push(payload);
    }
    return payloads;
  }

  /** After `deleteAllOf` committed: drops cached copies and purges the objects at once (the queued purges retry what fails). */
  async afterDeleteAll(deleted: readonly PurgeJobPayload[]): Promise<void> {
    for (const [i, p] of deleted.entries()) {
      await this.events.changed(p.videoId, { feed: i === deleted.length - 1 });
      try {
        await this.purge(p);
      } catch (err) {
        this.log.warn({ err, videoId: p.videoId }, 'purging a deleted video failed; the purge job will retry');
      }
    }
  }

  /** Idempotent: removes renditions of every attempt, the original, and an unfinished multipart upload. */
  async purge(p: PurgeJobPayload): Promise<void> {
    if (p.multipartUploadId) {
      // Usually long completed (S3 then answers NoSuchUpload); only an unfinished one matters.
      await this.store.abortMultipart(p.originalKey, p.multipartUploadId).catch(() => undefined);
    }
    await this.store.delete(p.originalKey);
    await this.store.deletePrefix(videoMediaFolder(p.videoId));
  }

  async handlePurgeJob(job: Job<PurgeJobPayload>): Promise<void> {
    await this.purge(job.payload);
  }

  private async ownedRow(user: PublicUser, id: string): Promise<VideoRow> {
    const row = await this.videos.getVisibleRow(id, user);
    if (row.owner_id !== user.id) throw new AppError('forbidden', 'Only the owner of a video can change or delete it.');
    return row;
  }
}

function creatorStatsView(r: CreatorStatsRow): VideoCreatorStatsView {
  return {
    videoId: r.video_id,
    views: Number(r.views),
    likes: Number(r.likes),
    comments: Number(r.comments),
    shares: Number(r.shares),
    viewers: Number(r.viewers),
    averageWatchMs: r.average_watch_ms === null ? null : Math.round(Number(r.average_watch_ms)),
    totalWatchMs: Number(r.total_watch_ms),
    durationMs: r.duration_ms,
  };
}

function emptyStats(videoId: string, durationMs: number | null): VideoCreatorStatsView {
  return { videoId, views: 0, likes: 0, comments: 0, shares: 0, viewers: 0, averageWatchMs: null, totalWatchMs: 0, durationMs };
}
