import { mkdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { AppError, MediaError } from '../../errors.js';
import { enqueueJob } from '../../jobs/job-definition.js';
import { randomId } from '../../lib/ids.js';
import { ownedName } from '../../lib/scratch.js';
import { renditionFolder, renditionObjectKey, renditionPrefix, videoMediaFolder } from '../../lib/storage-layout.js';
import type { Job, JobContext, JobQueue } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Transcoder } from '../../ports/transcoder.js';
import type { PublicUser } from '../accounts/user.types.js';
import { runPipeline } from '../media/pipeline.js';
import { clientKey, type RateLimiter } from '../safety/rate-limiter.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideoRow } from '../videos/video.types.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideoView } from '../videos/videos.schema.js';
import type { VideosService } from '../videos/videos.service.js';
import { canView } from '../videos/visibility.js';
import { effectiveRestoreTier, pollIntervalMs, processingEstimateMs, retrievalEstimateMs, type ArchiveTier } from './archive-estimates.js';
import { restoreVideoJob, type RestoreJobPayload } from './archive.jobs.js';
import { RestoreLostVideo, type ArchiveRepository, type Requester, type RestoreRow, type SweepCursor } from './archive.repository.js';

export interface SweepReport {
  /** Videos archived by this run (or, with dryRun, that would be). */
  archived: number;
  /** Videos a killed run had left half-way, finished now. */
  finished: number;
  /** Bytes moved to the archive tier (originals) and bytes of renditions deleted. */
  archiveBytes: number;
  freedBytes: number;
  skipped: number;
  dryRun: boolean;
  videos: Array<{ id: string; archiveBytes: number; freedBytes: number }>;
}

export interface ArchiveServiceDeps {
  repo: ArchiveRepository;
  videos: VideosRepository;
  videoService: VideosService;
  store: ObjectStore;
  /** What follows any processing that made a video ready (the owner's cover is cut again). */
  afterReady?: (row: VideoRow) => Promise<void>;
  transcoder: Transcoder;
  events: VideoEvents;
  queue: JobQueue;
  limiter: RateLimiter;
  config: Readonly<Config['archive']>;
  tier: ArchiveTier;
  workRoot: string;
  leaseMs: number;
  log: Logger;
  /** Crash tests only: called between the steps of archiving one video (after-mark, after-class). */
  pause?: (point: string, videoId: string) => Promise<void>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

const HOUR_SEC = 3600;

/**
 * The cold archive: the sweep (ready → archived) and restores (archived →
 * restoring → ready).
 *
 * What is archived is the ORIGINAL, not a mezzanine: it is the one file the
 * owner uploaded (usually the smallest faithful copy: a phone's H.264/HEVC at
 * its own bitrate), it needs no extra encode to make, it is already in the
 * store (the archive is a storage-class change, not an upload), and a restore
 * re-runs exactly the pipeline an upload does, so a restored video gets
 * whatever ladder the platform has by then. A mezzanine would cost an encode
 * per archived video, lose quality twice, and be larger than most phone
 * originals at the quality needed to re-encode from it.
 *
 * The poster and the metadata stay (the page shows the poster); the HLS
 * renditions and the MP4 are deleted. The original stays in the archive tier
 * after a restore too: a second archiving then only deletes renditions, with
 * no new transition fee, and archive classes bill a minimum duration anyway.
 */
export class ArchiveService {
  constructor(private readonly d: ArchiveServiceDeps) {}

  /** The same service on another object store (bench/archive sweeps a catalog whose bytes are simulated). */
  withStore(store: ObjectStore): ArchiveService {
    return new ArchiveService({ ...this.d, store });
  }

  // ------------------------------------------------------------------ sweep

  /**
   * One sweep: first finishes videos a killed sweep left half-way, then
   * archives what the policy selects, a batch per query, pausing between
   * videos. Idempotent: every step checks where the video stands.
   */
  async sweep(opts: { dryRun?: boolean; signal?: AbortSignal; maxVideos?: number } = {}): Promise<SweepReport> {
    const { config, repo, log } = this.d;
    const dryRun = opts.dryRun ?? false;
    const max = opts.maxVideos ?? config.sweepMaxPerRun;
    const report: SweepReport = { archived: 0, finished: 0, archiveBytes: 0, freedBytes: 0, skipped: 0, dryRun, videos: [] };
    if (!dryRun) {
      for (;;) {
        const pending = await repo.pending(config.sweepBatch);
        if (pending.length === 0 || opts.signal?.aborted) break;
        for (const row of pending) {
          await this.finishArchive(row);
          report.finished++;
        }
        if (pending.length < config.sweepBatch) break;
      }
    }
    let after: SweepCursor | undefined;
    while (report.archived < max && !opts.signal?.aborted) {
      const batch = await repo.candidates(config, Math.min(config.sweepBatch, max - report.archived), after);
      if (!batch.last) break;
      after = batch.last;
      for (const row of batch.rows) {
        if (opts.signal?.aborted || report.archived >= max) break;
        const done = await this.archiveRow(row, dryRun).catch((err: unknown) => {
          log.warn({ err, videoId: row.id }, 'archive: could not archive a video (left ready; the next sweep tries again)');
          return null;
        });
        if (!done) {
          report.skipped++;
          continue;
        }
        report.archived++;
        report.archiveBytes += done.archiveBytes;
        report.freedBytes += done.freedBytes;
        report.videos.push({ id: row.id, ...done });
        if (!dryRun) await sleep(config.sweepPauseMs, opts.signal);
      }
    }
    if (report.archived + report.finished > 0) log.info({ ...report, videos: undefined }, 'archive sweep');
    return report;
  }

  /** Archives one video now, whatever the policy says (`curta archive video`); a pinned or not-ready one is refused. */
  async archiveNow(id: string): Promise<{ archiveBytes: number; freedBytes: number }> {
    const row = await this.d.videos.get(id);
    if (!row) throw new AppError('video_not_found', `No video with id "${id}".`);
    if (row.archive_pending) {
      await this.finishArchive(row);
      return { archiveBytes: Number(row.archive_bytes ?? 0), freedBytes: Number(row.archive_freed_bytes ?? 0) };
    }
    if (row.status !== 'ready') throw new AppError('video_not_ready', `Only a ready video can be archived (this one is ${row.status}).`);
    if (row.archive_pinned) throw new AppError('forbidden', 'This video is pinned: it is never archived (unpin it first).');
    const done = await this.archiveRow(row, false);
    if (!done) throw new AppError('video_not_ready', 'The video changed while it was being archived; try again.');
    return done;
  }

  /**
   * ready → archived in the database first (one guarded UPDATE that also
   * records the bytes and flags `archive_pending`), then the objects: the
   * original to the archive tier, the renditions deleted. A crash between
   * leaves a video that is archived for everyone and finished by the next sweep.
   */
  private async archiveRow(row: VideoRow, dryRun: boolean): Promise<{ archiveBytes: number; freedBytes: number } | null> {
    const { store, repo } = this.d;
    if (!row.media_prefix || !row.playback) return null;
    const original = await store.head(row.original_key);
    if (!original) return null;
    const poster = row.playback.poster ? renditionObjectKey(row.media_prefix, row.playback.poster) : null;
    let freedBytes = 0;
    for await (const key of this.keysUnder(videoMediaFolder(row.id))) {
      if (key.key !== poster) freedBytes += key.size;
    }
    const result = { archiveBytes: original.size, freedBytes };
    if (dryRun) return result;
    const playback = row.playback.poster ? { poster: row.playback.poster } : {};
    if (!(await repo.markArchived(row.id, row.media_prefix, original.size, freedBytes, playback))) return null;
    await this.d.events.changed(row.id, { feed: true });
    await this.d.pause?.('after-mark', row.id);
    await this.finishArchive({ ...row, status: 'archived', playback });
    return result;
  }

  /** The object half of archiving (idempotent): the original to the archive tier, every rendition object but the poster deleted. */
  private async finishArchive(row: VideoRow): Promise<void> {
    const { store, repo } = this.d;
    // A restore may have begun meanwhile: its new renditions live under another prefix, which this leaves alone.
    await store.setStorageClass(row.original_key, 'ARCHIVE').catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'object_not_found') return; // deleted meanwhile
      throw err;
    });
    await this.d.pause?.('after-class', row.id);
    const current = await this.d.videos.get(row.id);
    if (!current) return;
    const keep = new Set<string>();
    if (current.media_prefix && current.playback?.poster) keep.add(renditionObjectKey(current.media_prefix, current.playback.poster));
    // Only the archived revision (and leftovers of older ones): never a restore attempt's prefix in flight.
    const restoring = current.status === 'restoring' ? await repo.activeRestoreOf(row.id) : null;
    const inFlight = restoring?.attempt_prefix ? renditionFolder(restoring.attempt_prefix) : null;
    const doomed: string[] = [];
    for await (const key of this.keysUnder(videoMediaFolder(row.id))) {
      if (keep.has(key.key) || (inFlight && key.key.startsWith(inFlight))) continue;
      if (current.status === 'ready') continue; // restored meanwhile: nothing of it to delete
      doomed.push(key.key);
    }
    for (let i = 0; i < doomed.length; i += 16) await Promise.all(doomed.slice(i, i + 16).map((k) => store.delete(k)));
    await repo.clearPending(row.id);
  }

  private async *keysUnder(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let cursor: string | undefined;
    do {
      const page = await this.d.store.listPage(prefix, cursor ? { cursor } : {});
      for (const k of page.keys) yield k;
      cursor = page.next ?? undefined;
    } while (cursor);
  }

  // ---------------------------------------------------------------- pinning

  async setPinned(user: PublicUser, id: string, pinned: boolean): Promise<void> {
    const row = await this.d.videoService.getCachedRow(id);
    if (!row) throw new AppError('video_not_found', `No video with id "${id}".`);
    if (row.owner_id !== user.id && user.role !== 'admin') {
      if (await this.d.videoService.canView(row, user)) throw new AppError('forbidden', 'Only the owner or an admin can pin a video.');
      throw new AppError('video_not_found', `No video with id "${id}".`);
    }
    await this.d.repo.setPinned(id, pinned);
    await this.d.events.changed(id);
  }

  // ---------------------------------------------------------------- restore

  /**
   * Starts a restore, or joins the one in flight (one per video, whoever
   * asks). Viewers count against per-hour limits (per account or device, and
   * per address) only when their request starts one; owners and admins do not.
   */
  async requestRestore(id: string, actor: { user: PublicUser | null; deviceId: string | null; ip: string }): Promise<VideoView> {
    const { videoService, config } = this.d;
    const row = await videoService.getVisibleRow(id, actor.user);
    const requester: Requester = actor.user?.id === row.owner_id ? 'owner' : actor.user?.role === 'admin' ? 'admin' : 'viewer';
    if (row.status === 'archived') {
      const releases: Array<() => Promise<void>> = [];
      if (requester === 'viewer') {
        if (!actor.user && !actor.deviceId) {
          throw new AppError('device_id_required', 'Sign in or send X-Device-Id to restore an archived video.');
        }
        const who = actor.user ? `u:${actor.user.id}` : `d:${actor.deviceId}`;
        const rules = [
          { key: `archive-restore:${who}`, rule: { limit: config.restoresPerUserPerHour, windowSec: HOUR_SEC } },
          { key: `archive-restore:ip:${clientKey(actor.ip)}`, rule: { limit: config.restoresPerIpPerHour, windowSec: HOUR_SEC } },
        ];
        for (const { key, rule } of rules) {
          const r = await this.d.limiter.reserve(key, rule);
          if (r.retryAfter !== null) {
            await Promise.all(releases.map((release) => release()));
            throw new AppError('restore_rate_limited', 'Too many restores started from here; try again later.', {
              retryAfter: r.retryAfter,
            });
          }
          releases.push(() => r.release());
        }
      }
      const started = await this.start(row, requester, actor.user?.id ?? (actor.deviceId ? `device:${actor.deviceId}` : null)).catch(
        async (err: unknown) => {
          await Promise.all(releases.map((release) => release()));
          throw err;
        },
      );
      // Joined a restore someone else started at the same moment: that costs this viewer nothing.
      if (!started.started) await Promise.all(releases.map((release) => release()));
      if (!started.started && started.status !== 'restoring') {
        throw new AppError('not_archived', `The video is ${started.status ?? 'gone'}, not archived.`);
      }
    } else if (row.status !== 'restoring') {
      throw new AppError('not_archived', `The video is ${row.status}, not archived: there is nothing to restore.`);
    }
    const fresh = await this.d.videos.get(id);
    if (!fresh) throw new AppError('video_not_found', `No video with id "${id}".`);
    const [view] = await videoService.present([fresh], actor.user);
    return view!;
  }

  /** `curta archive restore <id>`: a restore started by the system (no limits). */
  async restoreNow(id: string): Promise<{ started: boolean; status: string | null }> {
    const row = await this.d.videos.get(id);
    if (!row) throw new AppError('video_not_found', `No video with id "${id}".`);
    if (row.status !== 'archived' && row.status !== 'restoring') {
      throw new AppError('not_archived', `The video is ${row.status}, not archived: there is nothing to restore.`);
    }
    return this.start(row, 'system', null);
  }

  private async start(
    row: VideoRow,
    requester: Requester,
    requestedBy: string | null,
  ): Promise<{ started: boolean; status: string | null }> {
    const tier = effectiveRestoreTier(this.d.tier, this.d.config.restoreTier);
    const etaAt = new Date(Date.now() + retrievalEstimateMs(this.d.tier, tier) + processingEstimateMs(row.duration_ms));
    const result = await this.d.repo.startRestore(row.id, { requester, requestedBy, tier, etaAt }, async (restore, tx) => {
      await enqueueJob(this.d.queue, restoreVideoJob, { videoId: row.id, restoreId: String(restore.id), poll: 0 }, { executor: tx });
    });
    if (result.started) {
      this.d.log.info({ videoId: row.id, requester, tier }, 'archive: restore started');
      await this.d.events.changed(row.id);
    }
    return result;
  }

  /** The restore job: retrieval (polled), then re-processing through the upload pipeline, then ready. */
  async handleRestoreJob(job: Job<RestoreJobPayload>, ctx: JobContext): Promise<void> {
    const { repo, store, config, log } = this.d;
    const { videoId, restoreId, poll } = job.payload;
    const restore = await repo.getRestore(restoreId);
    if (!restore) return;
    if (restore.state !== 'retrieving' && restore.state !== 'processing') {
      // Cancelled (the video was deleted) while an attempt ran: remove what it wrote.
      if (restore.state === 'cancelled' && restore.attempt_prefix) await store.deletePrefix(renditionFolder(restore.attempt_prefix));
      return;
    }
    const row = await this.d.videos.get(videoId);
    if (row?.status !== 'restoring') {
      await repo.cancelRestore(restoreId);
      if (restore.attempt_prefix) await store.deletePrefix(renditionFolder(restore.attempt_prefix));
      return;
    }
    try {
      if (restore.state === 'retrieving') {
        if (row.archive_pending) await this.finishArchive(row);
        const state = await store.restoreObject(row.original_key, { days: config.restoreDays, tier: restore.tier });
        if (state === 'ongoing') {
          const runAt = new Date(Date.now() + pollIntervalMs(this.d.tier, config.restorePollSec));
          await enqueueJob(this.d.queue, restoreVideoJob, { videoId, restoreId, poll: poll + 1 }, { runAt });
          return;
        }
        const info = await store.head(row.original_key);
        const etaAt = new Date(Date.now() + processingEstimateMs(row.duration_ms));
        if (await repo.markRetrieved(restoreId, videoId, info?.size ?? 0, etaAt)) await this.d.events.changed(videoId);
      }
      await this.reprocess(restoreId, row, ctx);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const attempts = await repo.countFailure(restoreId, message);
      const permanent = err instanceof MediaError || (err instanceof AppError && err.code === 'object_not_found');
      if (permanent || attempts >= config.restoreMaxAttempts) {
        log.error({ err, videoId, restoreId, attempts }, 'archive: restore failed; the video stays archived');
        const latest = await repo.getRestore(restoreId);
        if (await repo.failRestore(restoreId, videoId, `The restore failed: ${message}`)) await this.d.events.changed(videoId);
        if (latest?.attempt_prefix) await store.deletePrefix(renditionFolder(latest.attempt_prefix));
        return;
      }
      log.warn({ err, videoId, restoreId, attempts }, 'archive: restore step failed; retrying');
      throw err;
    }
  }

  /** Re-processes the restored original into a fresh rendition prefix, exactly as an upload is processed. */
  private async reprocess(restoreId: string, row: VideoRow, ctx: JobContext): Promise<void> {
    const { repo, store, log } = this.d;
    const videoId = row.id;
    const prefix = renditionPrefix(videoId, randomId(6));
    const attempt = await repo.startAttempt(restoreId, prefix);
    if (!attempt) return;
    // A worker that died mid-way left its attempt's objects: they go before this attempt writes.
    if (attempt.previous && attempt.previous !== prefix) await store.deletePrefix(renditionFolder(attempt.previous));
    const workDir = join(this.d.workRoot, ownedName(`${videoId}-restore-${randomId(4)}`));
    await mkdir(workDir, { recursive: true });
    const keepFresh = setInterval(
      () => {
        const now = new Date();
        utimes(workDir, now, now).catch(() => undefined);
      },
      Math.max(1000, Math.floor(this.d.leaseMs / 3)),
    );
    keepFresh.unref();
    try {
      const input = join(workDir, 'original');
      await store.getToFile(row.original_key, input);
      await this.d.pause?.('after-download', videoId);
      let lastProgressWrite = 0;
      const result = await runPipeline({
        transcoder: this.d.transcoder,
        input,
        workDir: join(workDir, 'out'),
        signal: ctx.signal,
        publish: async (localPath, relKey, opts) => {
          await store.putFile(renditionObjectKey(prefix, relKey), localPath, opts);
        },
        onProgress: (fraction) => {
          const now = Date.now();
          if (now - lastProgressWrite < 500 && fraction < 1) return;
          lastProgressWrite = now;
          void repo
            .setProgress(videoId, Math.min(0.99, Math.round(fraction * 1000) / 1000))
            .then(async (changed) => changed && (await this.d.events.changed(videoId)))
            .catch((err: unknown) => log.warn({ err }, 'restore progress update failed'));
        },
      });
      let done: { oldPrefix: string | null } | null;
      try {
        done = await repo.finishRestore(restoreId, videoId, prefix, {
          durationMs: result.durationMs,
          width: result.width,
          height: result.height,
          playback: { hls: result.keys.master, mp4: result.keys.mp4, poster: result.keys.poster },
        });
      } catch (err) {
        if (!(err instanceof RestoreLostVideo)) throw err;
        await repo.cancelRestore(restoreId);
        done = null;
      }
      if (!done) {
        // Deleted, cancelled or taken over meanwhile: this attempt's objects are orphans.
        await store.deletePrefix(renditionFolder(prefix));
        return;
      }
      await this.d.videos.replaceRenditions(videoId, result.renditions);
      if (done.oldPrefix && done.oldPrefix !== prefix) await store.deletePrefix(renditionFolder(done.oldPrefix));
      // As after any processing: the cover the owner picked is cut from the new renditions.
      const ready = await this.d.videos.get(videoId);
      if (ready?.status === 'ready') await this.d.afterReady?.(ready);
      log.info({ videoId, restoreId }, 'archive: restored, ready again');
      await this.d.events.changed(videoId, { feed: true });
    } finally {
      clearInterval(keepFresh);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Whether `viewer` may see the row (for callers outside HTTP). */
  canView(row: VideoRow, viewerId: string | null): boolean {
    return canView(row, viewerId, null);
  }
}

export type { RestoreRow };
