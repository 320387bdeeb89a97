import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Cache } from '../../ports/cache.js';
import type { Database } from '../../ports/database.js';
import type { JobHandler, JobQueue, JobWorker } from '../../ports/job-queue.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { DiscoveryRepository } from '../discovery/discovery.repository.js';
import { DEFAULT_DISCOVERY_OPTIONS } from '../discovery/discovery.service.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import { CatalogCache } from './catalog.js';
import { DEFAULT_FOR_YOU_OPTIONS, ForYouService } from './for-you.service.js';
import { ModelHolder } from './model-store.js';
import { recsRoutes } from './recs.routes.js';
import { RecsRepository } from './recs.repository.js';
import { RecsTrainer } from './trainer.js';

export const RECS_TRAIN_QUEUE = 'recs-train';

export interface RecsDeps {
  config: Readonly<Config>;
  log: Logger;
  db: Database;
  store: ObjectStore;
  cache: Cache;
  queue: JobQueue;
  videos: VideosService;
  videosRepo: VideosRepository;
  blockedIds: (viewerId: string) => Promise<ReadonlySet<string>>;
}

/** The recommender: For You feed (API processes), training (workers and `curta recs train`). */
export function createRecsModule(d: RecsDeps) {
  const log = d.log.child({ module: 'recs' });
  const repo = new RecsRepository(d.db);
  const discovery = new DiscoveryRepository(d.db);
  const catalog = new CatalogCache(repo, d.cache, (since, limit) => discovery.trendingIds(since, limit), () => d.videos.currentFeedGeneration(), log, {
    ttlMs: d.config.recs.catalogTtlMs,
    maxVideos: 50_000,
    exploreWindowMs: DEFAULT_FOR_YOU_OPTIONS.exploreWindowMs,
    graduateViewers: DEFAULT_FOR_YOU_OPTIONS.exploreGraduateViewers,
    // Trial exposure reads every young video's events: computed for all processes at twice the pool's refresh period.
    exploreStatsTtlMs: 2 * d.config.recs.catalogTtlMs,
    trendingWindowMs: DEFAULT_DISCOVERY_OPTIONS.trendingWindowMs,
    trendingSize: DEFAULT_DISCOVERY_OPTIONS.trendingSize,
  });
  const models = new ModelHolder(repo, d.store, log, d.config.recs.modelPollSec * 1000);
  const trainer = RecsTrainer.forWindow(repo, d.store, d.config.recs.trainWindowDays);
  const forYou = new ForYouService(repo, catalog, models, d.videos, d.videosRepo, d.cache, d.blockedIds, {
    ...DEFAULT_FOR_YOU_OPTIONS,
    seenWindowMs: d.config.recs.seenWindowHours * 3600_000,
    exploreShare: d.config.recs.exploreShare,
  });

  return {
    repo,
    catalog,
    models,
    trainer,
    forYou,
    routes: recsRoutes(forYou),
    /**
     * Scheduled training in worker processes: every interval each worker asks
     * for a run with one dedupe key, so one run happens however many workers
     * there are; the run itself is skipped when no event arrived since the
     * current model.
     */
    startTraining(instrument: (h: JobHandler) => JobHandler = (h) => h): { worker: JobWorker; stop: () => Promise<void> } | null {
      const intervalSec = d.config.recs.trainIntervalSec;
      if (intervalSec <= 0) return null;
      const worker = d.queue.work(
        RECS_TRAIN_QUEUE,
        instrument(async () => {
          const outcome = await trainer.train();
          if (outcome.trained) log.info(outcome.summary, 'recs: model trained');
          else log.debug({ reason: outcome.reason }, 'recs: training skipped');
          await models.refresh();
        }),
        { concurrency: 1, leaseMs: Math.max(d.config.jobs.leaseMs, 600_000), pollMs: 2000 },
      );
      const request = () => {
        d.queue
          .enqueue(RECS_TRAIN_QUEUE, {}, { dedupeKey: RECS_TRAIN_QUEUE, maxAttempts: 2 })
          .catch((err: unknown) => log.warn({ err }, 'recs: could not schedule training'));
      };
      request();
      const timer = setInterval(request, intervalSec * 1000);
      timer.unref();
      return {
        worker,
        stop: async () => clearInterval(timer),
      };
    },
  };
}
export type RecsModule = ReturnType<typeof createRecsModule>;
