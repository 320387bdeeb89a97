import { enqueueJob } from '../../jobs/job-definition.js';
import type { Platform } from '../../lib/module.js';
import type { RateLimiter } from '../safety/rate-limiter.js';
import type { VideosModule } from '../videos/videos.module.js';
import { DeviceAdmission } from './anonymous-viewers.js';
import { EventsRepository } from './events.repository.js';
import { EventsRetention } from './events-retention.js';
import { eventsRoutes } from './events.routes.js';
import { EventsService } from './events.service.js';
import { pruneEventsJob } from './prune-events.job.js';

/** Playback events: stored for the recommender, turned into views, deleted after the retention window. */
export function createEventsModule(
  p: Platform,
  videos: VideosModule,
  limiter: RateLimiter,
  /** Told how many events each batch copied into the lake's buffer. */
  buffered: (n: number) => void = () => undefined,
) {
  const log = p.log.child({ module: 'events' });
  const repo = new EventsRepository(p.db, p.config.events.writeConcurrency);
  const playback = new EventsService(
    repo,
    {
      admission: new DeviceAdmission(limiter, p.config.events.newDevicesPerIp),
      viewsPerAddress: p.config.events.anonViewsPerIp,
      secret: p.config.signingSecret,
    },
    (ids) => videos.videos.countersChangedMany(ids),
    undefined,
    buffered,
  );
  const retention = new EventsRetention(repo, p.config.events.retentionHours);
  return {
    playback,
    retention,
    routes: eventsRoutes(playback),
    /** The handler of pruneEventsJob: one retention run. */
    async runScheduledPrune(signal?: AbortSignal): Promise<void> {
      const report = await retention.prune(signal ? { signal } : {});
      const deleted = report.events.deleted + report.views.deleted + report.budgets.deleted;
      if (deleted > 0) log.info(report, 'events: expired rows deleted');
    },
    /**
     * Scheduled retention in worker processes, as training is scheduled: every
     * interval each worker asks for a run (one dedupe key: one run at a time).
     * Returns the function that stops asking, or null when retention is off.
     */
    schedulePruning(): (() => Promise<void>) | null {
      const { pruneIntervalSec, retentionHours } = p.config.events;
      if (pruneIntervalSec <= 0 || retentionHours <= 0) return null;
      const request = () => {
        enqueueJob(p.queue, pruneEventsJob, {}).catch((err: unknown) => log.warn({ err }, 'events: could not schedule retention'));
      };
      request();
      const timer = setInterval(request, pruneIntervalSec * 1000);
      timer.unref();
      return async () => clearInterval(timer);
    },
  };
}
export type EventsModule = ReturnType<typeof createEventsModule>;
