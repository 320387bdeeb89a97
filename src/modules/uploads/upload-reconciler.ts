import type { Logger } from 'pino';
import { dedupeKeyOf, enqueueJob } from '../../jobs/job-definition.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { MEDIA_FOLDER, ORIGINALS_FOLDER, parseOriginalKey, parseVideoMediaFolder } from '../../lib/storage-layout.js';
import type { ListedKey, ObjectStore } from '../../ports/object-store.js';
import { processVideoJob } from '../processing/process-video.job.js';
import { FAILABLE, videoFailure } from '../processing/video-lifecycle.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { UploadsService } from './uploads.service.js';

/** How long an uploaded or processing video may go unchanged before its job is checked on. */
const STRANDED_AFTER_SEC = 60;

export interface ReconcilerOptions {
  /** Leave fresh uploads to the event path / `complete` for this long. */
  graceSec: number;
  batchSize: number;
}

export interface SweepReport {
  started: number;
  expired: number;
  requeued: number;
  failed: number;
}

export interface StorageSweepReport {
  /** Originals deleted (their video does not exist). */
  originals: number;
  /** Media folders deleted (their video does not exist). */
  mediaFolders: number;
}

/**
 * The safety net behind the upload event: no upload stays stranded.
 * - the object is in storage but processing never started (the event was
 *   lost, the process crashed, or S3 mode without notifications, where the
 *   client vanished before calling `complete`) → start it;
 * - the signed URL expired and nothing arrived → fail it and abort its
 *   multipart upload so storage holds no orphaned parts;
 * - uploaded/processing with no unfinished job → re-enqueue once, or fail
 *   when the job already died.
 * Every step goes through the same guarded transitions, so sweeps running in
 * several processes at once are harmless.
 */
export class UploadReconciler {
  constructor(
    private readonly videos: VideosRepository,
    private readonly store: ObjectStore,
    private readonly queue: JobQueue,
    private readonly uploads: UploadsService,
    private readonly events: VideoEvents,
    private readonly log: Logger,
    private readonly opts: ReconcilerOptions = { graceSec: 10, batchSize: 200 },
  ) {}

  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { started: 0, expired: 0, requeued: 0, failed: 0 };
    for (const row of await this.videos.listUploading(this.opts.graceSec, this.opts.batchSize)) {
      if (row.multipart_upload_id) {
        // Parts alone are not an upload: only `complete` assembles them. But a completed
        // one whose state change was lost has its object: start it. Else expire if abandoned.
        const assembled = await this.store.head(row.original_key);
        if (assembled) {
          await this.uploads.onOriginalStored(assembled);
          report.started++;
        } else if (new Date(row.upload_expires_at).getTime() < Date.now()) {
          await this.store.abortMultipart(row.original_key, row.multipart_upload_id).catch(() => undefined);
          if (await this.expire(row.id)) report.expired++;
        }
        continue;
      }
      const info = await this.store.head(row.original_key);
      if (info) {
        await this.uploads.onOriginalStored(info);
        report.started++;
      } else if (new Date(row.upload_expires_at).getTime() < Date.now()) {
        if (await this.expire(row.id)) report.expired++;
      }
    }
    for (const { videoId, jobDied } of await this.listStranded(this.opts.batchSize)) {
      if (jobDied) {
        // Its last attempt's worker died (the job was dead-lettered by lease expiry): give up loudly
        // rather than loop on a file that kills workers.
        const failed = await this.videos.fail(videoId, FAILABLE, videoFailure('processing_failed'));
        if (failed) {
          report.failed++;
          await this.events.changed(videoId);
        }
        continue;
      }
      const ownerId = (await this.videos.get(videoId))?.owner_id;
      const { created } = await enqueueJob(this.queue, processVideoJob, ownerId ? { videoId, ownerId } : { videoId });
      if (created) report.requeued++;
    }
    if (report.started || report.expired || report.requeued || report.failed) this.log.info(report, 'reconciled uploads');
    return report;
  }

  /**
   * The storage side of the safety net: deletes the objects under
   * `originals/` and `media/<videoId>/` whose video does not exist — deleted
   * and purged, then recreated by a replayed signed URL (S3 cannot refuse
   * one before it expires), written late by an encode of a deleted video, or
   * never created. Objects written less than `graceSec` ago are left for a
   * later sweep (deletions and their purge in flight); a video's row exists
   * before any URL for it is handed out, so an upload in flight is never an
   * orphan. Works page by page on both stores: one LIST per page of keys, one
   * query per page of ids.
   */
  async sweepStorage(graceSec: number, now: number = Date.now()): Promise<StorageSweepReport> {
    const report: StorageSweepReport = { originals: 0, mediaFolders: 0 };
    const settled = (k: ListedKey): boolean => k.lastModified.getTime() <= now - graceSec * 1000;

    for (let cursor: string | undefined; ;) {
      const page = await this.store.listPage(ORIGINALS_FOLDER, { delimiter: '/', ...(cursor === undefined ? {} : { cursor }) });
      const owned = page.keys.flatMap((k) => {
        const videoId = parseOriginalKey(k.key);
        return videoId ? [{ videoId, object: k }] : [];
      });
      const live = await this.videos.existingIds(owned.map((o) => o.videoId));
      for (const { videoId, object } of owned) {
        if (live.has(videoId) || !settled(object)) continue;
        await this.store.delete(object.key);
        report.originals++;
      }
      if (!page.next) break;
      cursor = page.next;
    }

    for (let cursor: string | undefined; ;) {
      const page = await this.store.listPage(MEDIA_FOLDER, { delimiter: '/', ...(cursor === undefined ? {} : { cursor }) });
      const owned = page.folders.flatMap((folder) => {
        const videoId = parseVideoMediaFolder(folder);
        return videoId ? [{ videoId, folder }] : [];
      });
      const live = await this.videos.existingIds(owned.map((o) => o.videoId));
      for (const { videoId, folder } of owned) {
        if (live.has(videoId) || !(await this.allSettled(folder, settled))) continue;
        await this.store.deletePrefix(folder);
        report.mediaFolders++;
      }
      if (!page.next) break;
      cursor = page.next;
    }
    if (report.originals || report.mediaFolders) this.log.info(report, 'deleted objects of videos that no longer exist');
    return report;
  }

  private async allSettled(folder: string, settled: (k: ListedKey) => boolean): Promise<boolean> {
    for (let cursor: string | undefined; ;) {
      const page = await this.store.listPage(folder, cursor === undefined ? {} : { cursor });
      if (!page.keys.every(settled)) return false;
      if (!page.next) return true;
      cursor = page.next;
    }
  }

  /** Runs `sweep` every `intervalMs` until the returned stop function is called. */
  start(intervalMs: number): () => Promise<void> {
    return this.every(intervalMs, () => this.sweep(), 'reconcile sweep failed');
  }

  /**
   * Runs `sweepStorage` every `intervalMs` (first after one interval) until
   * stopped. Every worker process sweeps: deleting twice is harmless.
   */
  startStorageSweep(intervalMs: number, graceSec: number): () => Promise<void> {
    return this.every(intervalMs, () => this.sweepStorage(graceSec), 'storage sweep failed');
  }

  private every(intervalMs: number, run: () => Promise<unknown>, failure: string): () => Promise<void> {
    let running: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      if (running) return; // a slow sweep is still going: skip this tick rather than overlap
      running = run()
        .catch((err: unknown) => this.log.error({ err }, failure))
        .finally(() => (running = null));
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      if (running) await running;
    };
  }

  /**
   * Videos that should be moving through processing but have no unfinished
   * job: the enqueue was lost, or the last attempt's worker died and the job
   * went to the dead letter without the video being told (`jobDied`).
   */
  private async listStranded(limit: number): Promise<Array<{ videoId: string; jobDied: boolean }>> {
    const stranded: Array<{ videoId: string; jobDied: boolean }> = [];
    // Most quiet videos are merely waiting their turn in the queue: page past them.
    for (let afterId = ''; ;) {
      const ids = await this.videos.listQuietInProcessing(STRANDED_AFTER_SEC, limit, afterId);
      const keys = ids.map((videoId) => dedupeKeyOf(processVideoJob, { videoId }));
      const jobs = await this.queue.findByDedupeKeys(processVideoJob.name, keys, ['queued', 'running', 'dead']);
      const status = new Map(jobs.map((j) => [j.dedupeKey, j.status]));
      for (const [i, videoId] of ids.entries()) {
        const job = status.get(keys[i]!);
        if (job === 'queued' || job === 'running') continue;
        stranded.push({ videoId, jobDied: job === 'dead' });
        if (stranded.length === limit) return stranded;
      }
      if (ids.length < limit) return stranded;
      afterId = ids.at(-1)!;
    }
  }

  private async expire(videoId: string): Promise<boolean> {
    const row = await this.videos.fail(videoId, ['uploading'], videoFailure('upload_expired'));
    if (row) await this.events.changed(videoId);
    return row !== null;
  }
}
