import { join } from 'node:path';
import { jobNames, JOBS } from '../../jobs/job-registry.js';
import type { Platform } from '../../lib/module.js';
import { LakeReader } from '../lake/lake-reader.js';
import { adminDashboardRoutes } from './admin-dashboard.routes.js';
import { AdminDashboardService } from './admin-dashboard.service.js';

/** Where a process keeps its local copies of lake files (they never change once written). */
export function lakeCacheDir(dataDir: string): string {
  return join(dataDir, 'lake-cache');
}

export function createAdminDashboardService(p: Omit<Platform, 'log'>, lake?: LakeReader): AdminDashboardService {
  return new AdminDashboardService(p.db, p.store, p.cache, p.queue, lake ?? new LakeReader(p.db, p.store, lakeCacheDir(p.config.dataDir)), {
    storageSweepTtlMs: p.config.adminAnalytics.storageSweepSec * 1000,
    lakeCacheTtlMs: p.config.adminAnalytics.lakeCacheSec * 1000,
    queues: jobNames(JOBS),
  });
}

/** The admin dashboard's figures (`GET /api/v1/admin/analytics`, `curta analytics`). */
export function createAdminDashboardModule(p: Platform, lake?: LakeReader) {
  const service = createAdminDashboardService(p, lake);
  return { service, routes: adminDashboardRoutes(service) };
}
export type AdminDashboardModule = ReturnType<typeof createAdminDashboardModule>;
