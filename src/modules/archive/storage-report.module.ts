import type { Platform } from '../../lib/module.js';
import { storageReportRoutes } from './storage-report.routes.js';
import { StorageReportService } from './storage-report.service.js';

export function createStorageReportService(p: Omit<Platform, 'log'>): StorageReportService {
  return new StorageReportService(p.db, p.store, p.cache, {
    prices: p.config.storagePrices,
    archiveClass: p.config.archive.s3StorageClass,
    listingTtlMs: p.config.adminAnalytics.storageSweepSec * 1000,
  });
}

/** The storage cost report (`GET /api/v1/admin/storage`, `curta storage report`). */
export function createStorageReportModule(p: Platform) {
  const service = createStorageReportService(p);
  return { service, routes: storageReportRoutes(service) };
}
export type StorageReportModule = ReturnType<typeof createStorageReportModule>;
