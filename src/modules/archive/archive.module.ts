import { scheduleJob } from '../../jobs/schedule.js';
import type { Platform } from '../../lib/module.js';
import type { Transcoder } from '../../ports/transcoder.js';
import type { RateLimiter } from '../safety/rate-limiter.js';
import type { VideosModule } from '../videos/videos.module.js';
import type { ArchiveTier } from './archive-estimates.js';
import { archiveSweepJob } from './archive.jobs.js';
import { ArchiveRepository } from './archive.repository.js';
import { archiveRoutes } from './archive.routes.js';
import { ArchiveService } from './archive.service.js';

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/**
 * Crash tests only (NODE_ENV=test): CURTA_TEST_ARCHIVE_PAUSE=<point>:<ms>
 * holds archiving or a restore at a point (after-mark: marked archived,
 * objects not moved; after-class: original archived, renditions not deleted;
 * after-download: a restore has its original, nothing encoded) and says so
 * on stdout, for the test to SIGKILL the process there.
 */
function testPause(env: string): ((point: string, videoId: string) => Promise<void>) | undefined {
  const spec = env === 'test' ? process.env.CURTA_TEST_ARCHIVE_PAUSE : undefined;
  if (!spec) return undefined;
  const [point, ms] = spec.split(':');
  return async (at, videoId) => {
    if (point !== at) return;
    process.stdout.write(`ARCHIVE_PAUSED ${at} ${videoId}\n`);
    await sleep(Number(ms ?? 60_000));
  };
}

/** The cold archive (issue 15): the sweep, restores, pinning. */
export function createArchiveModule(p: Platform, videos: VideosModule, transcoder: Transcoder, limiter: RateLimiter) {
  const log = p.log.child({ module: 'archive' });
  const { archive } = p.config;
  const tier: ArchiveTier =
    p.store.kind === 'fs' ? { kind: 'fs', restoreDelaySec: archive.restoreDelaySec } : { kind: 's3', storageClass: archive.s3StorageClass };
  const pause = testPause(p.config.env);
  const service = new ArchiveService({
    repo: new ArchiveRepository(p.db),
    videos: videos.repo,
    videoService: videos.videos,
    store: p.store,
    afterReady: (row) => videos.management.afterReady(row),
    transcoder,
    events: videos.events,
    queue: p.queue,
    limiter,
    config: archive,
    tier,
    workRoot: p.config.media.workDir,
    leaseMs: p.config.jobs.leaseMs,
    log,
    ...(pause ? { pause } : {}),
  });
  return {
    archive: service,
    routes: archiveRoutes(service),
    /** The scheduled sweep in worker processes (one run across all of them); returns the stopper, or null when off. */
    schedule(): (() => Promise<void>) | null {
      if (archive.sweepIntervalSec <= 0) return null;
      return scheduleJob(p.queue, archiveSweepJob, {}, archive.sweepIntervalSec * 1000, log);
    },
  };
}
export type ArchiveModule = ReturnType<typeof createArchiveModule>;
