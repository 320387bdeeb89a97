import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { StorageCostReport, StorageReportQuery } from './storage-report.schema.js';
import type { StorageReportService } from './storage-report.service.js';

export function storageReportRoutes(service: StorageReportService): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/storage',
      operationId: 'getAdminStorageReport',
      tag: 'admin',
      summary: 'Storage cost report for operators',
      description:
        'Bytes and objects per storage class (a paged listing of the whole store, cached for `ADMIN_STORAGE_SWEEP_SEC` and shared ' +
        'by every API process), their monthly cost at the configured prices (`STORAGE_PRICES`; defaults: AWS us-east-1 list ' +
        'prices), what archiving saves a month against keeping the archived videos in STANDARD, and the restores requested in ' +
        'the last `days` days with their retrieval cost. What `curta storage report --json` prints.',
      auth: 'admin',
      query: StorageReportQuery,
      response: StorageCostReport,
      handler: async (request) => service.report(request.query.days === undefined ? {} : { days: request.query.days }),
    }),
  ];
}
