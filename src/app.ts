import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { migrate } from './adapters/db/migrate.js';
import { createCache, createObjectStore, createRateCounters, createTranscoder, openDatabase } from './adapters/factory.js';
import { DbJobQueue } from './adapters/queue/db-job-queue.js';
import { FsObjectStore } from './adapters/storage/fs-object-store.js';
import type { LoadedConfig } from './config/config.js';
import { resolveSigningSecret } from './config/signing-secret.js';
import { projectRoot } from './lib/project-root.js';
import { createHttpServer } from './http/server.js';
import { webAppRoutes } from './http/web-app.js';
import { webSecurityOptions } from './http/web-security.js';
import { storageRoutes } from './http/storage.routes.js';
import { systemRoutes } from './http/system.routes.js';
import { createWorkerServer } from './http/worker-server.js';
import { registerAuth } from './http/auth.js';
import { registerCursorSigning } from './http/cursors.js';
import { registerRateLimits } from './http/rate-limit.js';
import { IdempotencyStore, registerIdempotency, scheduleIdempotencyPrune } from './http/idempotency.js';
import { CursorSigner } from './lib/cursor.js';
import { collectRoutes, openapiRoutes, type RouteInfo } from './http/openapi/openapi.routes.js';
import { InstrumentedCache, Metrics } from './observability/metrics.js';
import { registerRecsMetrics } from './modules/recs/recs.metrics.js';
import { registerRoutes } from './lib/http/route.js';
import { createAnalyticsModule, type AnalyticsModule } from './modules/analytics/analytics.module.js';
import { registerSseStreams } from './lib/http/sse.js';
import type { Platform } from './lib/module.js';
import { FfmpegImageProcessor, imageDecodeSlots } from './adapters/media/ffmpeg-image-processor.js';
import { createArchiveModule, type ArchiveModule } from './modules/archive/archive.module.js';
import { createAccountsModule } from './modules/accounts/accounts.module.js';
import { createAdminDashboardModule, type AdminDashboardModule } from './modules/analytics/admin-dashboard.module.js';
import { createStorageReportModule, type StorageReportModule } from './modules/archive/storage-report.module.js';
import type { AccountsService } from './modules/accounts/accounts.service.js';
import { createDiscoveryModule } from './modules/discovery/discovery.module.js';
import { createEventsModule, type EventsModule } from './modules/events/events.module.js';
import { createLakeModule, type LakeModule } from './modules/lake/lake.module.js';
import type { UploadsService } from './modules/uploads/uploads.service.js';
import { JOBS, jobNames, startJobWorkers } from './jobs/job-registry.js';
import { retentionJob, runRetention, type RetentionTask } from './jobs/retention.js';
import { scheduleJob } from './jobs/schedule.js';
import { pruneUploadUsage } from './modules/uploads/upload-quota.js';
import { createUploadsModule } from './modules/uploads/uploads.module.js';
import type { UploadReconciler } from './modules/uploads/upload-reconciler.js';
import { ProcessingService } from './modules/processing/processing.service.js';
import { createVideosModule } from './modules/videos/videos.module.js';
import type { VideosService } from './modules/videos/videos.service.js';
import { createSocialGraph } from './modules/social/social-graph.js';
import { createSocialModule } from './modules/social/social.module.js';
import { createNotificationsModule } from './modules/notifications/notifications.module.js';
import type { NotificationsService } from './modules/notifications/notifications.service.js';
import { createRecsModule, type RecsModule } from './modules/recs/recs.module.js';
import { RateLimiter } from './modules/safety/rate-limiter.js';
import { createSafetyModule, type SafetyModule } from './modules/safety/safety.module.js';
import { createWebhooksModule } from './modules/webhooks/webhooks.module.js';
import type { WebhooksService } from './modules/webhooks/webhooks.service.js';
import type { Cache } from './ports/cache.js';
import type { Database } from './ports/database.js';
import type { ImageProcessor } from './ports/image-processor.js';
import type { JobWorker } from './ports/job-queue.js';
import type { Transcoder } from './ports/transcoder.js';

export interface App extends Platform {
  /** Video transcoding: what workers need (`curta worker`, `curta start`). */
  transcoder: Transcoder;
  /** Avatar conversion: what API processes need (`curta serve`, `curta start`). */
  images: ImageProcessor;
  http: FastifyInstance;
  services: {
    accounts: AccountsService;
    uploads: UploadsService;
    videos: VideosService;
    processing: ProcessingService;
    reconciler: UploadReconciler;
    /** Blocks, reports, moderation. */
    safety: SafetyModule;
    /** The For You recommender: ranking, training, model versions. */
    recs: RecsModule;
    /** Playback events: ingestion (views) and retention. */
    events: EventsModule;
    /** The data lake: delivery of buffered events as Parquet, compaction, retention. */
    lake: LakeModule;
    /** Webhook endpoints, the event relay and deliveries. */
    webhooks: WebhooksService;
    /** The inbox: likes, comments, replies, mentions, follows, processing news. */
    notifications: NotificationsService;
    /** The admin dashboard's figures (lake, queues, storage, reports). */
    adminDashboard: AdminDashboardModule;
    storageReport: StorageReportModule;
    /** The data lake's reader and day aggregates, and creator analytics. */
    analytics: AnalyticsModule;
    /** The cold archive: sweep, restores, pinning. */
    archive: ArchiveModule;
  };
  /** Every route registered after the server was created (method, Fastify URL), for the API document's completeness test. */
  routes: readonly RouteInfo[];
  /** Starts a worker for every job in the registry this configuration runs (and the upload reconciler, the training and retention schedules); returns the workers. */
  startWorkers(): JobWorker[];
  /** `curta worker`'s own /healthz, /readyz and /metrics on WORKER_HTTP_PORT; returns its address, or null when off. */
  listenWorkerHttp(): Promise<string | null>;
  /** Stops workers (draining), the HTTP server and every connection. */
  close(): Promise<void>;
}

export interface CreateAppOptions {
  logger?: Logger;
  /** Override the database (tests share an in-memory PGlite). */
  db?: Database;
}

/** The composition root: adapters chosen from config, services wired, routes registered. */
export async function createApp(loaded: Readonly<LoadedConfig>, opts: CreateAppOptions = {}): Promise<App> {
  const log = opts.logger ?? pino({ level: loaded.logLevel });
  await mkdir(loaded.dataDir, { recursive: true });
  const config = await resolveSigningSecret(loaded, log);

  const db = opts.db ?? (await openDatabase(config, log.child({ module: 'db' })));
  await migrate(db);
  const store = createObjectStore(config, log.child({ module: 'storage' }));
  const queue = new DbJobQueue(db, { defaultMaxAttempts: config.jobs.maxAttempts, logger: log.child({ module: 'queue' }) });
  const metrics = new Metrics(queue, jobNames(JOBS));
  const baseCache = await createCache(config);
  const cache: Cache = new InstrumentedCache(baseCache, metrics.cacheRequests);
  // Never the cache's LRU: cached pages must not be able to push a counter (a lockout) out.
  const counters = await createRateCounters(config, baseCache, log.child({ module: 'rate-limit' }));
  if (counters.evicted) {
    metrics.observe(
      'curta_rate_limit_counters_evicted',
      'Live rate-limit counters dropped for room (RATE_LIMIT_MAX_KEYS too small)',
      counters.evicted,
    );
  }
  const transcoder = createTranscoder(config, log.child({ module: 'ffmpeg' }));
  // Picture decodes of this process (avatars, chosen cover frames) share one bounded set of slots.
  const pictureSlots = imageDecodeSlots(config.images.decodeConcurrency, config.images.decodeQueue);
  const images = new FfmpegImageProcessor({
    ffmpegPath: config.media.ffmpegPath,
    workDir: config.media.workDir,
    maxPixels: config.images.maxPixels,
    maxSide: config.images.maxSide,
    decodeSlots: pictureSlots,
  });

  // Capabilities, in dependency order: each factory returns its services and its routes.
  const platform: Platform = { config, log, db, store, cache, queue };
  const graph = createSocialGraph(db);
  const accelPrefix = config.media.accelRedirectPrefix;
  const videos = createVideosModule(platform, graph, {
    covers: { transcoder, slots: pictureSlots },
    ...(accelPrefix && store instanceof FsObjectStore
      ? { accelRedirect: { prefix: accelPrefix, locate: (key: string) => store.locate(key) } }
      : {}),
  });
  // The lake's reader first: the data export reads the playback history from the lake.
  const analytics = createAnalyticsModule(platform, videos);
  const accounts = createAccountsModule(platform, videos, images, analytics.reader);
  const uploads = createUploadsModule(platform, videos);
  const notifications = createNotificationsModule(platform, videos, accounts);
  const social = createSocialModule(platform, graph, videos, accounts, notifications.notifications);
  const limiter = new RateLimiter(counters.store);
  const lake = createLakeModule(platform);
  metrics.observeAsync(
    'curta_lake_buffer_events',
    'Events captured for the data lake and not yet delivered as Parquet',
    async () => (await lake.depth()).events,
  );
  metrics.observeAsync(
    'curta_lake_buffer_oldest_seconds',
    'Age of the oldest event waiting in the lake buffer (grows past LAKE_BUFFER_MAX_AGE_SEC when delivery lags)',
    async () => (await lake.depth()).oldestSec,
  );
  const playback = createEventsModule(platform, videos, limiter, (n) => lake.noteBuffered(n));
  // Events from before the lake stay in the OLTP table until the lake's backfill has copied them.
  playback.retention.keepFrom(() => lake.backfill.oldestPending());
  metrics.observeAsync('curta_lake_erasures_pending', "Deleted accounts whose events are not yet erased from the lake's files", () =>
    lake.erasure.pending(),
  );
  const discovery = createDiscoveryModule(platform, graph, videos, accounts);
  const safety = createSafetyModule(platform, graph, videos, accounts);
  const webhooks = createWebhooksModule(platform);
  const adminDashboard = createAdminDashboardModule(platform, analytics.aggregates);
  const storageReport = createStorageReportModule(platform);
  // Training reads the lake through the process's reader (one local file cache), after delivering what the buffer holds.
  const recs = createRecsModule(platform, videos, {
    reader: analytics.reader,
    flush: () => lake.delivery.flush(),
  });
  metrics.observe(
    'curta_lake_files_skipped',
    'Lake files skipped by queries (corrupt, foreign or missing), each counted once',
    () => analytics.reader.stats.skippedFiles,
  );
  metrics.observe(
    'curta_lake_day_aggregations',
    'Lake partition days aggregated (a new or changed file set of that day)',
    () => analytics.aggregates.stats.dayComputations,
  );
  metrics.observe('curta_lake_cache_bytes', 'Bytes of lake files in the local cache', () => analytics.reader.stats.cacheBytes);
  metrics.observe('curta_recs_model_version', 'For You model version this process ranks with (0 = none loaded)', () => recs.models.version);
  const archive = createArchiveModule(platform, videos, transcoder, limiter);
  registerRecsMetrics(metrics.registry, recs.models);
  const processing = new ProcessingService(
    videos.repo,
    store,
    transcoder,
    videos.events,
    config.media.workDir,
    log.child({ module: 'processing' }),
    config.jobs.leaseMs,
    (row) => videos.management.afterReady(row),
  );

  // After a crash: work folders (each a copy of an original) and partial uploads that no live process owns.
  const leftovers = (await processing.removeLeftovers()) + (store instanceof FsObjectStore ? await store.removeLeftovers() : 0);
  if (leftovers > 0) log.info({ count: leftovers }, 'removed work folders and temporary uploads left by stopped processes');

  // The storage's object-created event starts processing (the seed's S3 PUT → Lambda).
  const unsubscribe = store.onObjectCreated((info) => {
    uploads.uploads.onOriginalStored(info).catch((err: unknown) => log.error({ err, key: info.key }, 'object-created handler failed'));
  });

  const http = await createHttpServer({
    logger: log,
    jsonBodyLimit: config.http.jsonBodyLimit,
    webDir: join(projectRoot(), 'web', 'dist'),
    trustProxy: config.http.trustProxy,
    publicBaseUrl: config.http.publicBaseUrl,
    checkResponses: config.env === 'test',
    security: webSecurityOptions(config),
  });
  const routes = collectRoutes(http);
  metrics.instrumentHttp(http);
  registerAuth(http, accounts.accounts);
  registerRateLimits(http, limiter, config.rateLimits);
  const idempotency = new IdempotencyStore(db);
  registerIdempotency(http, idempotency);
  registerCursorSigning(http, new CursorSigner(config.signingSecret));
  registerSseStreams(http, config.sse);
  registerRoutes(http, [
    ...systemRoutes({
      log,
      ping: () => Promise.all([db.ping(), cache.delete('readyz'), store.head('readyz'), store.checkWritable(), counters.ping?.()]),
    }),
    metrics.route(config.http.metricsToken),
    ...openapiRoutes(http),
    ...accounts.routes,
    ...uploads.routes,
    ...videos.routes,
    ...social.routes,
    ...playback.routes,
    ...discovery.routes,
    ...safety.routes,
    ...recs.routes,
    ...webhooks.routes,
    ...notifications.routes,
    ...adminDashboard.routes,
    ...storageReport.routes,
    ...analytics.routes,
    ...archive.routes,
  ]);
  await accounts.registerScopedRoutes(http);
  if (store instanceof FsObjectStore) await storageRoutes(http, store, { admit: (target) => uploads.uploads.admitUploadBytes(target) });
  webAppRoutes(http, { video: (id) => videos.videos.get(id, null), publicBaseUrl: config.http.publicBaseUrl });

  // Scheduled retention: what each owner keeps only for a while.
  const DAY_MS = 86_400_000;
  const retentionTasks: RetentionTask[] = [
    {
      kind: 'jobs',
      prune: (signal) =>
        queue.pruneFinishedJobs(
          {
            doneOlderThanMs: config.retention.jobDoneDays * DAY_MS,
            deadOlderThanMs: config.retention.jobDeadDays === null ? null : config.retention.jobDeadDays * DAY_MS,
          },
          signal,
        ),
    },
    { kind: 'sessions', prune: (signal) => accounts.accounts.pruneDeadSessions(signal) },
    { kind: 'username_holds', prune: (signal) => accounts.accounts.pruneUsernameHolds(signal) },
    { kind: 'upload_quota', prune: (signal) => pruneUploadUsage(db, signal) },
  ];
  const notificationDays = config.retention.notificationDays;
  if (notificationDays !== null) {
    retentionTasks.push({ kind: 'notifications', prune: (signal) => notifications.notifications.prune(notificationDays, signal) });
  }
  const retentionLog = log.child({ module: 'retention' });
  let workerHttp: FastifyInstance | null = null;
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
    images,
    http,
    services: {
      accounts: accounts.accounts,
      uploads: uploads.uploads,
      videos: videos.videos,
      processing,
      reconciler: uploads.reconciler,
      safety,
      recs,
      events: playback,
      lake,
      webhooks: webhooks.webhooks,
      notifications: notifications.notifications,
      adminDashboard,
      storageReport,
      analytics,
      archive,
    },
    routes,
    startWorkers() {
      const started = startJobWorkers(
        queue,
        JOBS,
        {
          processVideo: (job, ctx) => processing.handle(job, ctx),
          purgeVideo: (job) => videos.management.handlePurgeJob(job),
          publishVideo: (job) => videos.management.handlePublishJob(job),
          applyCover: (job) => videos.management.handleApplyCoverJob(job),
          trainRecs: () => recs.runScheduledTraining(),
          pruneEvents: (_job, ctx) => playback.runScheduledPrune(ctx.signal),
          purgeAccount: (job) => accounts.deletion.handlePurgeJob(job),
          deliverWebhook: (job) => webhooks.webhooks.handleDeliveryJob(job),
          deliverLake: (_job, ctx) => lake.runDelivery(ctx.signal),
          maintainLake: async (_job, ctx) => {
            await lake.runMaintenance(ctx.signal);
            // The aggregates of what delivery and compaction changed (EMR's job): queries then find them built.
            await analytics.aggregates.refresh({}, { signal: ctx.signal });
          },
          archiveSweep: async (_job, ctx) => {
            await archive.archive.sweep({ signal: ctx.signal });
          },
          restoreVideo: (job, ctx) => archive.archive.handleRestoreJob(job, ctx),
          retention: async (_job, ctx) => {
            await runRetention(retentionTasks, ctx.signal, retentionLog, (kind, rows) => metrics.retentionDeleted.inc({ kind }, rows));
          },
        },
        config,
        (name, handler) => metrics.wrapJob(name, handler),
      );
      workers.push(...started);
      if (config.jobs.reconcileIntervalSec > 0) stoppers.push(uploads.reconciler.start(config.jobs.reconcileIntervalSec * 1000));
      if (config.jobs.storageSweepIntervalSec > 0) {
        stoppers.push(uploads.reconciler.startStorageSweep(config.jobs.storageSweepIntervalSec * 1000, config.jobs.storageSweepGraceSec));
      }
      const stopTrainingSchedule = recs.scheduleTraining();
      if (stopTrainingSchedule) stoppers.push(stopTrainingSchedule);
      stoppers.push(webhooks.startDispatcher());
      stoppers.push(scheduleIdempotencyPrune(idempotency, log));
      stoppers.push(...lake.schedule());
      const stopArchiveSweep = archive.schedule();
      if (stopArchiveSweep) stoppers.push(stopArchiveSweep);
      const stopPruneSchedule = playback.schedulePruning();
      if (stopPruneSchedule) stoppers.push(stopPruneSchedule);
      if (config.retention.intervalSec > 0) {
        stoppers.push(scheduleJob(queue, retentionJob, {}, config.retention.intervalSec * 1000, retentionLog));
      }
      return started;
    },
    async listenWorkerHttp() {
      if (!config.workerHttp || workerHttp) return null;
      workerHttp = createWorkerServer({
        logger: log,
        metrics,
        metricsToken: config.http.metricsToken,
        // What workers use: the queue's database and the object store (they read originals and write renditions).
        ping: () => Promise.all([db.ping(), store.head('readyz'), store.checkWritable()]),
      });
      return workerHttp.listen({ host: config.workerHttp.host, port: config.workerHttp.port });
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      await workerHttp?.close();
      await Promise.all([...stoppers.map((stop) => stop()), ...workers.map((w) => w.stop(10_000))]);
      await http.close();
      await analytics.aggregates.stop();
      await cache.close();
      await counters.close();
      if (!opts.db) await db.close();
    },
  };
  return app;
}
