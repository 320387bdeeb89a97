import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import { enqueueJob } from '../../jobs/job-definition.js';
import { videoMediaFolder } from '../../lib/storage-layout.js';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { UpdateVideoInput } from './videos.schema.js';
import { purgeVideoJob, type PurgeJobPayload } from './purge-video.job.js';
import type { VideoEvents } from './video-events.js';
import type { VideoRow } from './video.types.js';
import type { VideosRepository } from './videos.repository.js';
import type { VideosService } from './videos.service.js';
import type { VideoView } from './videos.schema.js';

/** A safety net after the inline purge: also catches objects a racing encode wrote late. */
const PURGE_SWEEP_DELAY_MS = 5 * 60_000;

/** The owner's edits and deletion of a video. */
export class VideoManagementService {
  constructor(
    private readonly db: Database,
    private readonly repo: VideosRepository,
    private readonly videos: VideosService,
    private readonly store: ObjectStore,
    private readonly queue: JobQueue,
    private readonly events: VideoEvents,
    private readonly log: Logger,
  ) {}

  async update(user: PublicUser, id: string, patch: UpdateVideoInput): Promise<VideoView> {
    await this.ownedRow(user, id);
    const updated = await this.db.transaction((tx) => this.repo.updateDetails(id, patch, tx));
    if (!updated) throw new AppError('video_not_found', `No video with id "${id}".`);
    // Caption and visibility show in cached feed pages too.
    await this.events.changed(id, { feed: true });
    return this.videos.get(id, user);
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
