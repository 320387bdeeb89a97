import { mkdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MediaError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { ownedName, removeAbandoned } from '../../lib/scratch.js';
import { renditionFolder, renditionObjectKey, renditionPrefix, videoMediaFolder } from '../../lib/storage-layout.js';
import type { Job, JobContext } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Transcoder } from '../../ports/transcoder.js';
import { runPipeline } from '../media/pipeline.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideoRow } from '../videos/video.types.js';
import type { ProcessJobPayload } from './process-video.job.js';
import { videoFailure, type VideoFailure } from './video-lifecycle.js';

/**
 * The job handler behind the upload event: original → probe → ladder → HLS,
 * publishing as it goes. Idempotent: a duplicate or retried job for a video
 * that is already ready or failed does nothing, and a retry writes its
 * renditions under a fresh prefix after deleting the previous attempt's.
 */
export class ProcessingService {
  constructor(
    private readonly videos: VideosRepository,
    private readonly store: ObjectStore,
    private readonly transcoder: Transcoder,
    private readonly events: VideoEvents,
    private readonly workRoot: string,
    private readonly log: Logger,
    /** The job lease: a work folder is touched several times per lease while its job runs. */
    private readonly leaseMs: number = 30_000,
    /** Called once the video is ready (e.g. to cut the cover its owner picked up front). */
    private readonly afterReady?: (row: VideoRow) => Promise<void>,
  ) {}

  /**
   * Removes work folders (each holds a copy of an original) that crashed
   * processes left behind, at start-up: those of a dead process on this host
   * at once, any other once untouched for two leases (a running job touches
   * its folder every third of a lease, so a live one is never that old, even
   * when another process on another host owns it). See lib/scratch.ts.
   */
  async removeLeftovers(): Promise<number> {
    return (await removeAbandoned(this.workRoot, staleWorkDirMs(this.leaseMs))).length;
  }

  async handle(job: Job<ProcessJobPayload>, ctx: JobContext): Promise<void> {
    const { videoId } = job.payload;
    const row = await this.videos.get(videoId);
    if (!row) {
      // Deleted while an earlier attempt was encoding: remove whatever that attempt still wrote.
      await this.store.deletePrefix(videoMediaFolder(videoId));
      return;
    }
    if (row.status !== 'uploaded' && row.status !== 'processing') return;

    const previousPrefix = row.media_prefix;
    const prefix = renditionPrefix(videoId, randomId(6));
    if (!(await this.videos.startProcessingAttempt(videoId, prefix))) return;
    if (previousPrefix) await this.store.deletePrefix(renditionFolder(previousPrefix));
    await this.events.changed(videoId);

    const workDir = join(this.workRoot, ownedName(`${videoId}-${randomId(4)}`));
    await mkdir(workDir, { recursive: true });
    const keepFresh = setInterval(
      () => {
        const now = new Date();
        utimes(workDir, now, now).catch(() => undefined);
      },
      Math.max(1000, Math.floor(this.leaseMs / 3)),
    );
    keepFresh.unref();
    const log = this.log.child({ videoId, attempt: job.attempt });
    try {
      const input = join(workDir, 'original');
      const original = await this.store.getToFile(row.original_key, input);
      if (row.original_etag && original.etag !== row.original_etag) {
        // Written again after the upload completed (a replayed presigned URL): not the file the owner uploaded.
        log.warn({ expected: row.original_etag, found: original.etag }, 'original changed after upload');
        await this.fail(videoId, prefix, videoFailure('original_changed'));
        return;
      }
      let lastProgressWrite = 0;
      const result = await runPipeline({
        transcoder: this.transcoder,
        input,
        workDir: join(workDir, 'out'),
        signal: ctx.signal,
        publish: async (localPath, relKey, opts) => {
          await this.store.putFile(renditionObjectKey(prefix, relKey), localPath, opts);
        },
        onProgress: (fraction) => {
          const now = Date.now();
          if (now - lastProgressWrite < 500 && fraction < 1) return;
          lastProgressWrite = now;
          void this.videos
            .setProgress(videoId, Math.min(0.99, Math.round(fraction * 1000) / 1000), prefix)
            .then(async (changed) => changed && (await this.events.changed(videoId)))
            .catch((err: unknown) => log.warn({ err }, 'progress update failed'));
        },
        onPlayable: async (keys) => {
          if (await this.videos.markPlayable(videoId, { hls: keys.master }, prefix)) await this.events.changed(videoId);
        },
      });
      // Guarded on our prefix: if this attempt lost the video to a later one (a stalled
      // heartbeat let another worker take the job), it must not publish over it.
      const ready = await this.videos.transition(
        videoId,
        ['processing', 'playable'],
        'ready',
        {
          progress: 1,
          duration_ms: result.durationMs,
          width: result.width,
          height: result.height,
          playback: { hls: result.keys.master, mp4: result.keys.mp4, poster: result.keys.poster },
          ready_at: new Date(),
        },
        { attemptPrefix: prefix },
      );
      if (!ready) {
        // Someone else owns, finished or failed it meanwhile; our objects are orphans.
        await this.store.deletePrefix(renditionFolder(prefix));
        return;
      }
      await this.videos.replaceRenditions(videoId, result.renditions);
      log.info({ ms: result.durationMs, renditions: result.renditions.length }, 'video ready');
      await this.events.changed(videoId, { feed: true });
      await this.afterReady?.(ready);
    } catch (err) {
      if (err instanceof MediaError) {
        log.info({ code: err.code, reason: err.message }, 'video rejected');
        await this.fail(videoId, prefix, videoFailure(err.code, err.message));
        return;
      }
      // Stopped (drain) or lost the lease: the job goes back to the queue; this is no failure of the video.
      if (ctx.signal.aborted) throw err;
      if (job.attempt >= job.maxAttempts) {
        log.error({ err }, 'processing failed for the last time');
        await this.fail(videoId, prefix, videoFailure('processing_failed'));
      }
      throw err;
    } finally {
      clearInterval(keepFresh);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private async fail(videoId: string, prefix: string, failure: VideoFailure): Promise<void> {
    const failed = await this.videos.fail(videoId, ['processing', 'playable'], failure, { attemptPrefix: prefix });
    await this.store.deletePrefix(renditionFolder(prefix));
    if (failed) await this.events.changed(videoId);
  }
}

/** How long a work folder may go untouched before it counts as abandoned. */
export function staleWorkDirMs(leaseMs: number): number {
  return Math.max(60_000, 2 * leaseMs);
}
