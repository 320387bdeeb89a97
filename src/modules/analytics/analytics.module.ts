import type { Platform } from '../../lib/module.js';
import { LakeAggregates } from '../lake/lake-aggregates.js';
import { LakeReader } from '../lake/lake-reader.js';
import type { VideosModule } from '../videos/videos.module.js';
import { AnalyticsRepository } from './analytics.repository.js';
import { analyticsRoutes } from './analytics.routes.js';
import { AnalyticsService } from './analytics.service.js';
import { join } from 'node:path';

/**
 * Analytics on the data lake: the lake's reader (local cache of its files)
 * and incremental day aggregates, shared by everything that queries the lake
 * in this process, and the creator analytics API.
 */
export function createAnalyticsModule(p: Platform, videos: VideosModule) {
  const log = p.log.child({ module: 'lake' });
  const { cacheDir, cacheMaxBytes, minimumViewers, resultTtlSec } = p.config.analytics;
  const reader = new LakeReader(p.db, p.store, { cacheDir: join(cacheDir, 'files'), cacheMaxBytes, log });
  const aggregates = new LakeAggregates(reader, join(cacheDir, 'aggregates'), log);
  const repo = new AnalyticsRepository(aggregates);
  const analytics = new AnalyticsService(repo, videos.repo, reader, p.cache, { minimumViewers, resultTtlSec });
  return { reader, aggregates, analytics, routes: analyticsRoutes(analytics) };
}
export type AnalyticsModule = ReturnType<typeof createAnalyticsModule>;
