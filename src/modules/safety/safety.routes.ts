import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireAdmin, requireUser } from '../../http/auth.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { PageQuery } from '../../lib/pagination.js';
import type { BlocksService } from './blocks.service.js';
import { ModerationReasonSchema, type ModerationService } from './moderation.service.js';
import { CloseReportSchema, CreateReportSchema, ReportQueueQuery, type ReportsService } from './reports.service.js';

export const UsernameParams = z.object({ username: z.string().max(200) });
export const VideoIdParams = z.object({ id: z.string().regex(ID_PATTERN, 'not a video id') });
export const ReportIdParams = z.object({ id: z.string().regex(ID_PATTERN, 'not a report id') });

export interface SafetyServices {
  blocks: BlocksService;
  reports: ReportsService;
  moderation: ModerationService;
}

export function safetyRoutes(app: FastifyInstance, s: SafetyServices): void {
  // Blocks
  app.put('/api/v1/users/:username/block', async (request) => {
    const user = requireUser(request);
    return s.blocks.block(user, UsernameParams.parse(request.params).username);
  });
  app.delete('/api/v1/users/:username/block', async (request) => {
    const user = requireUser(request);
    return s.blocks.unblock(user, UsernameParams.parse(request.params).username);
  });
  app.get('/api/v1/me/blocks', async (request) => s.blocks.list(requireUser(request), PageQuery.parse(request.query)));

  // Reports
  app.post('/api/v1/reports', { config: { rateLimit: 'report' } }, async (request, reply) => {
    const user = requireUser(request);
    return reply.status(201).send({ report: await s.reports.create(user, CreateReportSchema.parse(request.body)) });
  });

  // Admin: the report queue
  app.get('/api/v1/admin/reports', async (request) => {
    requireAdmin(request);
    return s.reports.queue(ReportQueueQuery.parse(request.query));
  });
  app.get('/api/v1/admin/reports/:id', async (request) => {
    requireAdmin(request);
    return { report: await s.reports.get(ReportIdParams.parse(request.params).id) };
  });
  for (const [action, status] of [
    ['resolve', 'resolved'],
    ['dismiss', 'dismissed'],
  ] as const) {
    app.post(`/api/v1/admin/reports/:id/${action}`, async (request) => {
      const admin = requireAdmin(request);
      const { id } = ReportIdParams.parse(request.params);
      const { note } = CloseReportSchema.parse(request.body ?? {});
      return { report: await s.reports.close(admin, id, status, note ?? '') };
    });
  }

  // Admin: takedowns
  app.post('/api/v1/admin/videos/:id/takedown', async (request) => {
    const admin = requireAdmin(request);
    const { id } = VideoIdParams.parse(request.params);
    return s.moderation.takedown(admin, id, ModerationReasonSchema.parse(request.body).reason);
  });
  app.delete('/api/v1/admin/videos/:id/takedown', async (request) => {
    requireAdmin(request);
    return s.moderation.restore(VideoIdParams.parse(request.params).id);
  });

  // Admin: accounts and bans
  app.get('/api/v1/admin/users/:username', async (request) => {
    requireAdmin(request);
    return { user: await s.moderation.user(UsernameParams.parse(request.params).username) };
  });
  app.post('/api/v1/admin/users/:username/ban', async (request) => {
    const admin = requireAdmin(request);
    const { username } = UsernameParams.parse(request.params);
    return s.moderation.ban(admin, username, ModerationReasonSchema.parse(request.body).reason);
  });
  app.delete('/api/v1/admin/users/:username/ban', async (request) => {
    requireAdmin(request);
    return s.moderation.unban(UsernameParams.parse(request.params).username);
  });
}
