import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { migrate } from './adapters/db/migrate.js';
import { createCache, createObjectStore, openDatabase } from './adapters/factory.js';
import { DbJobQueue } from './adapters/queue/db-job-queue.js';
import { FsObjectStore } from './adapters/storage/fs-object-store.js';
import type { Config } from './config/config.js';
import { projectRoot } from './lib/project-root.js';
import { createHttpServer } from './http/server.js';
import { webAppRoutes } from './http/web-app.js';
import { mediaRoutes } from './http/media.routes.js';
import { storageRoutes } from './http/storage.routes.js';
import { registerAuth } from './http/auth.js';
import { registerRateLimits } from './http/rate-limit.js';
import { collectRoutes, openapiRoutes, type RouteInfo } from './http/openapi/openapi.routes.js';
import { InstrumentedCache, Metrics } from './http/metrics.js';
import { FfmpegTranscoder } from './modules/media/ffmpeg-transcoder.js';
import { AccountsRepository } from './modules/accounts/accounts.repository.js';
import { AccountsService } from './modules/accounts/accounts.service.js';
import { accountsRoutes } from './modules/accounts/accounts.routes.js';
import { JOBS, jobNames, startJobWorkers } from './jobs/job-registry.js';
import { UploadsService } from './modules/uploads/uploads.service.js';
import { uploadLimits, uploadsRoutes } from './modules/uploads/uploads.routes.js';
import { UploadReconciler } from './modules/uploads/upload-reconciler.js';
import { ProcessingService } from './modules/processing/processing.service.js';
import { VideoEvents } from './modules/videos/video-events.js';
import { VideosRepository } from './modules/videos/videos.repository.js';
import { VideosService } from './modules/videos/videos.service.js';
import { MediaUrls } from './modules/videos/media-urls.js';
import { EngagementRepository, engagementDecorator } from './modules/social/engagement.repository.js';
import { FollowsRepository } from './modules/social/follows.repository.js';
import { createSocialModule, type SocialModule } from './modules/social/social.module.js';
import { videosRoutes } from './modules/videos/videos.routes.js';
import { createRecsModule, type RecsModule } from './modules/recs/recs.module.js';
import { BlocksRepository } from './modules/safety/blocks.repository.js';
import { RateLimiter } from './modules/safety/rate-limiter.js';
import { createSafetyModule, type SafetyModule } from './modules/safety/safety.module.js';
import type { Cache } from './ports/cache.js';
import type { Database } from './ports/database.js';
import type { JobQueue, JobWorker } from './ports/job-queue.js';
import type { ObjectStore } from './ports/object-store.js';
import type { Transcoder } from './ports/transcoder.js';

export interface App {
  config: Readonly<Config>;
  log: Logger;
  db: Database;
  store: ObjectStore;
  cache: Cache;
  queue: JobQueue;
  transcoder: Transcoder;
  http: FastifyInstance;
  services: {
    accounts: AccountsService;
    uploads: UploadsService;
    videos: VideosService;
    processing: ProcessingService;
    reconciler: UploadReconciler;
    /** Profiles, follows, engagement, playback events, discovery, video management (issue 4). */
    social: SocialModule;
    /** Blocks, reports, moderation (issue 4, part B). */
    safety: SafetyModule;
    /** The For You recommender: ranking, training, model versions (issue 6). */
    recs: RecsModule;
  };
  /** Every route registered after the server was created (method, Fastify URL), for the API document's completeness test. */
  routes: readonly RouteInfo[];
  /** Starts a worker for every job in the registry this configuration runs (and the upload reconciler, the training schedule); returns the workers. */
  startWorkers(): JobWorker[];
  /** Stops workers (draining), the HTTP server and every connection. */
  close(): Promise<void>;
}

export interface CreateAppOptions {
  logger?: Logger;
  /** Override the database (tests share an in-memory PGlite). */
  db?: Database;
}


/** The composition root: adapters chosen from config, services wired, routes registered. */
export async function createApp(config: Readonly<Config>, opts: CreateAppOptions = {}): Promise<App> {
  const log = opts.logger ?? pino({ level: config.logLevel });
  await mkdir(config.dataDir, { recursive: true });

  const db = opts.db ?? (await openDatabase(config, log.child({ module: 'db' })));
  await migrate(db);
  const store = createObjectStore(config, log.child({ module: 'storage' }));
  const queue = new DbJobQueue(db, { defaultMaxAttempts: config.jobs.maxAttempts, logger: log.child({ module: 'queue' }) });
  const metrics = new Metrics(queue, jobNames(JOBS));
  const cache: Cache = new InstrumentedCache(await createCache(config), metrics.cacheRequests);
  const transcoder = new FfmpegTranscoder({
    ffmpegPath: config.media.ffmpegPath,
    ffprobePath: config.media.ffprobePath,
    maxDurationSec: config.media.maxDurationSec,
    timeoutSec: config.media.transcodeTimeoutSec,
    logger: log.child({ module: 'ffmpeg' }),
  });

  const events = new VideoEvents(cache);
  const accountsRepo = new AccountsRepository(db);
  const videosRepo = new VideosRepository(db);
  const accounts = new AccountsService(accountsRepo, config.auth.sessionTtlDays);
  // Followers-only visibility, blocks and fresh counters on every view come from the social tables.
  const follows = new FollowsRepository(db);
  const blocks = new BlocksRepository(db);
  const engagement = new EngagementRepository(db);
  const blockedIds = (viewerId: string) => blocks.blockedIds(viewerId);
  const mediaUrls = new MediaUrls(config.mediaBaseUrl, config.signingSecret, config.media.privateUrlTtlSec);
  const videos = new VideosService(videosRepo, cache, mediaUrls, {
    relation: (viewerId, ownerId) => blocks.relation(viewerId, ownerId),
    blockedIds,
    decorate: engagementDecorator(engagement),
  });
  events.onFeedChanged(() => videos.forgetFeedGeneration());
  const uploads = new UploadsService(db, store, queue, videosRepo, videos, events, config.uploads);
  const reconciler = new UploadReconciler(videosRepo, store, queue, uploads, events, log.child({ module: 'reconciler' }));
  const social = createSocialModule({ config, log, db, store, queue, cache, videos, videosRepo, events, follows, engagement, blockedIds });
  const safety = createSafetyModule({ db, videos, videosRepo, profiles: social.profiles, events, blocksRepo: blocks });
  const recs = createRecsModule({ config, log, db, store, cache, queue, videos, videosRepo, blockedIds });
  metrics.observe('curta_recs_model_version', 'For You model version this process ranks with (0 = none loaded)', () => recs.models.version);
  const processing = new ProcessingService(videosRepo, store, transcoder, events, config.media.workDir, log.child({ module: 'processing' }));

  // The storage's object-created event starts processing (the seed's S3 PUT → Lambda).
  const unsubscribe = store.onObjectCreated((info) => {
    uploads.onOriginalStored(info).catch((err: unknown) => log.error({ err, key: info.key }, 'object-created handler failed'));
  });

  const http = await createHttpServer({
    logger: log,
    jsonBodyLimit: config.http.jsonBodyLimit,
    webDir: join(projectRoot(), 'web', 'dist'),
    trustProxy: config.http.trustProxy,
  });
  const routes = collectRoutes(http);
  metrics.instrumentHttp(http, config.http.metricsToken);
  registerAuth(http, accounts);
  registerRateLimits(http, new RateLimiter(cache), config.rateLimits);
  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_request, reply) => {
    try {
      // One cheap round trip to each dependency (delete is not counted as a cache miss).
      await Promise.all([db.ping(), cache.delete('readyz'), store.head('readyz')]);
      return { status: 'ready' };
    } catch (err) {
      log.warn({ err }, 'not ready');
      return reply.status(503).send({ status: 'unavailable' });
    }
  });
  accountsRoutes(http, accounts);
  uploadsRoutes(http, uploads, uploadLimits(config.uploads, config.media.maxDurationSec));
  videosRoutes(http, { videos, repo: videosRepo, events, management: social.management });
  social.registerRoutes(http);
  safety.registerRoutes(http);
  recs.registerRoutes(http);
  const accelPrefix = config.media.accelRedirectPrefix;
  mediaRoutes(http, {
    store,
    urls: mediaUrls,
    videoAccess: (id) => videos.getCachedRow(id),
    ...(accelPrefix && store instanceof FsObjectStore
      ? { accelRedirect: { prefix: accelPrefix, locate: (key: string) => store.locate(key) } }
      : {}),
  });
  if (store instanceof FsObjectStore) await storageRoutes(http, store);
  openapiRoutes(http, { publicBaseUrl: config.http.publicBaseUrl });
  webAppRoutes(http, { video: (id) => videos.get(id, null), publicBaseUrl: config.http.publicBaseUrl });

  const workers: JobWorker[] = [];
  const stoppers: Array<() => Promise<void>> = [];
  let closed = false;
  const app: App = {
    config,
    log,
    db,
    store,
    cache,
    queue,
    transcoder,
    http,
    services: { accounts, uploads, videos, processing, reconciler, social, safety, recs },
    routes,
    startWorkers() {
      const started = startJobWorkers(
        queue,
        JOBS,
        {
          processVideo: (job, ctx) => processing.handle(job, ctx),
          purgeVideo: (job) => social.management.handlePurgeJob(job),
          trainRecs: () => recs.runScheduledTraining(),
        },
        config,
        (name, handler) => metrics.wrapJob(name, handler),
      );
      workers.push(...started);
      if (config.jobs.reconcileIntervalSec > 0) stoppers.push(reconciler.start(config.jobs.reconcileIntervalSec * 1000));
      const stopTrainingSchedule = recs.scheduleTraining();
      if (stopTrainingSchedule) stoppers.push(stopTrainingSchedule);
      return started;
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      await Promise.all([...stoppers.map((stop) => stop()), ...workers.map((w) => w.stop(10_000))]);
      await http.close();
      await cache.close();
      if (!opts.db) await db.close();
    },
  };
  return app;
}
