import { AppError } from '../../errors.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { AdminAnalytics, AdminAnalyticsQuery, resolveRange } from './admin-dashboard.schema.js';
import type { AdminDashboardService } from './admin-dashboard.service.js';

export function adminDashboardRoutes(service: AdminDashboardService): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/analytics',
      operationId: 'getAdminAnalytics',
      tag: 'admin',
      summary: 'Platform figures for operators',
      description:
        'Daily active viewers and creators, uploads per day, processing success rate and p50/p95 durations per stage, ' +
        'top videos (from the Parquet lake, cached until the range gets new files), queue depth and dead jobs, reports awaiting ' +
        'review (now), storage by kind (a cached sweep: see `storage.method`). Whole UTC days, both ends included; default the ' +
        'last 28 days; at most 365.',
      auth: 'admin',
      query: AdminAnalyticsQuery,
      response: AdminAnalytics,
      handler: async (request) => {
        const range = resolveRange(request.query);
        if ('error' in range) throw new AppError('validation_failed', range.error);
        return service.figures(range);
      },
    }),
  ];
}
