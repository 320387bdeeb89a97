import { join } from 'node:path';
import { jobNames, JOBS } from '../../jobs/job-registry.js';
import type { Config } from '../../config/config.js';
import type { Platform } from '../../lib/module.js';
import { LakeAggregates } from '../lake/lake-aggregates.js';
import { LakeReader } from '../lake/lake-reader.js';
import { adminDashboardRoutes } from './admin-dashboard.routes.js';
import { AdminDashboardService } from './admin-dashboard.service.js';

/** Where a process keeps its local copies of lake files (as the analytics module's reader: they never change once written). */
export function lakeFilesDir(config: Readonly<Pick<Config, 'analytics'>>): string {
  return join(config.analytics.cacheDir, 'files');
}

/** Where a process keeps its local copies of the lake's day and month aggregates. */
export function lakeAggregatesDir(config: Readonly<Pick<Config, 'analytics'>>): string {
  return join(config.analytics.cacheDir, 'aggregates');
}

export function createAdminDashboardService(p: Omit<Platform, 'log'>, lake?: LakeAggregates): AdminDashboardService {
  return new AdminDashboardService(
    p.db,
    p.store,
    p.cache,
    p.queue,
    lake ??
      new LakeAggregates(
        new LakeReader(p.db, p.store, { cacheDir: lakeFilesDir(p.config), cacheMaxBytes: p.config.analytics.cacheMaxBytes }),
        lakeAggregatesDir(p.config),
        undefined,
        p.store,
      ),
    {
      storageSweepTtlMs: p.config.adminAnalytics.storageSweepSec * 1000,
      lakeCacheTtlMs: p.config.adminAnalytics.lakeCacheSec * 1000,
      queues: jobNames(JOBS),
    },
  );
}

/** The admin dashboard's figures (`GET /api/v1/admin/analytics`, `curta analytics`). */
export function createAdminDashboardModule(p: Platform, lake?: LakeAggregates) {
  const service = createAdminDashboardService(p, lake);
  return { service, routes: adminDashboardRoutes(service) };
}
export type AdminDashboardModule = ReturnType<typeof createAdminDashboardModule>;
