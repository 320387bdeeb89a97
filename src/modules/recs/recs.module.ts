import type { Platform } from '../../lib/module.js';
import type { LakeReader } from '../lake/lake-reader.js';
import type { VideosModule } from '../videos/videos.module.js';
import { enqueueJob } from '../../jobs/job-definition.js';
import { DiscoveryRepository } from '../discovery/discovery.repository.js';
import { DEFAULT_DISCOVERY_OPTIONS } from '../discovery/discovery.service.js';
import { CatalogCache } from './catalog.js';
import { DEFAULT_FOR_YOU_OPTIONS, ForYouService } from './for-you.service.js';
import { ModelHolder } from './model-store.js';
import { NotInterestedService } from './not-interested.service.js';
import { recsRoutes } from './recs.routes.js';
import { RecsRepository } from './recs.repository.js';
import { trainRecsJob } from './train-recs.job.js';
import { LakeTrainingSource } from './lake-training.js';
import { RecsTrainer } from './trainer.js';

/** The recommender: For You feed (API processes), training (workers and `curta recs train`). */
export function createRecsModule(d: Platform, videos: VideosModule, lake: { reader: LakeReader; flush?: () => Promise<unknown> }) {
  const log = d.log.child({ module: 'recs' });
  const repo = new RecsRepository(d.db);
  const discovery = new DiscoveryRepository(d.db);
  const catalog = new CatalogCache(
    repo,
    d.cache,
    (since, limit) => discovery.trendingIds(since, limit),
    () => videos.videos.currentFeedGeneration(),
    log,
    {
      ttlMs: d.config.recs.catalogTtlMs,
      maxVideos: 50_000,
      exploreWindowMs: DEFAULT_FOR_YOU_OPTIONS.exploreWindowMs,
      graduateViewers: DEFAULT_FOR_YOU_OPTIONS.exploreGraduateViewers,
      // Trial exposure reads every young video's events: computed for all processes at twice the pool's refresh period.
      exploreStatsTtlMs: 2 * d.config.recs.catalogTtlMs,
      trendingWindowMs: DEFAULT_DISCOVERY_OPTIONS.trendingWindowMs,
      trendingSize: DEFAULT_DISCOVERY_OPTIONS.trendingSize,
    },
  );
  const models = new ModelHolder(repo, d.store, log, d.config.recs.modelPollSec * 1000);
  // History from the Parquet lake (the process's reader and its file cache); `flush` delivers the buffer first, so fresh events count.
  const source = new LakeTrainingSource(lake.reader, repo, lake.flush);
  const trainer = RecsTrainer.forWindow(
    repo,
    source,
    d.store,
    d.config.recs.trainWindowDays,
    d.config.recs.tuneMaxViewers,
    d.config.recs.tuneEaseMaxItems,
  );
  const forYou = new ForYouService(repo, catalog, models, videos.videos, d.cache, {
    ...DEFAULT_FOR_YOU_OPTIONS,
    seenWindowMs: d.config.recs.seenWindowHours * 3600_000,
    exploreShare: d.config.recs.exploreShare,
    exploreTopicWeight: d.config.recs.exploreTopicWeight,
  });

  const notInterested = new NotInterestedService(repo, videos.videos);

  return {
    repo,
    catalog,
    models,
    /** Where training reads history: the lake. */
    source,
    trainer,
    forYou,
    routes: recsRoutes(forYou, notInterested, repo),
    /** The handler of trainRecsJob: one training run (skipped when no event arrived since the current model). */
    async runScheduledTraining(): Promise<void> {
      const outcome = await trainer.train();
      if (outcome.trained) log.info(outcome.summary, 'recs: model trained');
      else log.debug({ reason: outcome.reason }, 'recs: training skipped');
      await models.refresh();
    },
    /**
     * Scheduled training in worker processes: every interval each worker asks
     * for a run (trainRecsJob's dedupe key makes it one run however many
     * workers there are). Returns the function that stops asking, or null
     * when scheduled training is off.
     */
    scheduleTraining(): (() => Promise<void>) | null {
      const intervalSec = d.config.recs.trainIntervalSec;
      if (intervalSec <= 0) return null;
      const request = () => {
        enqueueJob(d.queue, trainRecsJob, {}).catch((err: unknown) => log.warn({ err }, 'recs: could not schedule training'));
      };
      request();
      const timer = setInterval(request, intervalSec * 1000);
      timer.unref();
      return async () => clearInterval(timer);
    },
  };
}
export type RecsModule = ReturnType<typeof createRecsModule>;
