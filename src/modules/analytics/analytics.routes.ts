import type { FastifyReply } from 'fastify';
import { VideoIdParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { AccountAnalytics, AnalyticsQuery, VideoAnalytics } from './analytics.schema.js';
import { dailyCsv, type AnalyticsService } from './analytics.service.js';

const PRIVACY =
  'No viewer identity is ever in an answer (only counts); the retention curve and the traffic sources are withheld (`withheld: true`, null) ' +
  'when fewer than `minimumViewers` distinct viewers (default 5, ANALYTICS_MIN_VIEWERS) played in the range. ';
const RANGE =
  'Range: `from`/`to` (YYYY-MM-DD, UTC, inclusive), default the last 28 days; at most 365 days, from ≤ to (400 `validation_failed` otherwise). ' +
  "`format=csv` answers the daily series as text/csv (header row, one row per day; cells a spreadsheet would run as formulas are prefixed with '). " +
  'Figures come from the data lake (`through`: its newest event); each day is aggregated once and answers are cached per range and lake version.';

function sendCsv(reply: FastifyReply, name: string, body: string): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9_.-]/g, '_')}"`)
    .send(body);
}

export function analyticsRoutes(analytics: AnalyticsService): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/analytics/videos/:id',
      operationId: 'getVideoAnalytics',
      tag: 'analytics',
      summary: "A video's analytics (its owner; admins)",
      description:
        'Views, unique viewers, watch time, average view duration, retention curve, completion and rewatch rates, traffic sources, engagement gained, and a daily series. ' +
        "Another account's video, or none, answers 404 `video_not_found` (its existence is not revealed). " +
        PRIVACY +
        RANGE,
      auth: 'user',
      params: VideoIdParams,
      query: AnalyticsQuery,
      response: VideoAnalytics,
      errors: [404],
      handler: async (request, reply) => {
        const a = await analytics.video(request.user, request.params.id, request.query);
        if (request.query.format === 'csv') {
          return sendCsv(
            reply,
            `curta-video-${a.videoId}-${a.from}-${a.to}.csv`,
            dailyCsv(a.daily, { videoId: a.videoId, caption: a.caption }),
          );
        }
        return a;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/analytics/account',
      operationId: 'getAccountAnalytics',
      tag: 'analytics',
      summary: 'Your videos together, and your top videos',
      description:
        'The same figures as a video’s (without its retention curve) over every video of the signed-in account, with its ten most viewed. ' +
        PRIVACY +
        RANGE,
      auth: 'user',
      query: AnalyticsQuery,
      response: AccountAnalytics,
      handler: async (request, reply) => {
        const a = await analytics.account(request.user, request.query);
        if (request.query.format === 'csv') return sendCsv(reply, `curta-account-${a.from}-${a.to}.csv`, dailyCsv(a.daily));
        return a;
      },
    }),
  ];
}
