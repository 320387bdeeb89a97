import type { Platform } from '../../lib/module.js';
import { LakeAggregates } from '../lake/lake-aggregates.js';
import { LakeReader } from '../lake/lake-reader.js';
import type { VideosModule } from '../videos/videos.module.js';
import { AnalyticsRepository } from './analytics.repository.js';
import { analyticsRoutes } from './analytics.routes.js';
import { AnalyticsService } from './analytics.service.js';
import { WatchHistory } from './watch-history.js';
import { lakeAggregatesDir, lakeFilesDir } from './admin-dashboard.module.js';

/**
 * Analytics on the data lake: the lake's reader (local cache of its files)
 * and incremental day aggregates, shared by everything that queries the lake
 * in this process, and the creator analytics API.
 */
export function createAnalyticsModule(p: Platform, videos: VideosModule) {
  const log = p.log.child({ module: 'lake' });
  const { cacheMaxBytes, minimumViewers, resultTtlSec } = p.config.analytics;
  const reader = new LakeReader(p.db, p.store, { cacheDir: lakeFilesDir(p.config), cacheMaxBytes, log });
  const aggregates = new LakeAggregates(reader, lakeAggregatesDir(p.config), log, p.store);
  const repo = new AnalyticsRepository(aggregates);
  const analytics = new AnalyticsService(repo, videos.repo, reader, p.cache, { minimumViewers, resultTtlSec });
  // "Your videos" and a video's owner stats: watch time over the whole history, not only the events table's window.
  const watchHistory = new WatchHistory(p.db, aggregates);
  videos.management.useWatchHistory(watchHistory);
  return { reader, aggregates, analytics, watchHistory, routes: analyticsRoutes(analytics) };
}
export type AnalyticsModule = ReturnType<typeof createAnalyticsModule>;
