import { PageQuery, ReportIdParams, UsernameParams, VideoIdParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import type { BlocksService } from './blocks.service.js';
import type { ModerationService } from './moderation.service.js';
import type { ReportsService } from './reports.service.js';
import {
  AdminReportEnvelope,
  AdminReportPage,
  AdminUserEnvelope,
  AdminVideoEnvelope,
  BlockPage,
  BlockResult,
  CloseReport,
  CreateReport,
  ModerationReason,
  ReportCreated,
  ReportQueueQuery,
} from './safety.schema.js';

export interface SafetyServices {
  blocks: BlocksService;
  reports: ReportsService;
  moderation: ModerationService;
}

export function safetyRoutes(s: SafetyServices): AnyRoute[] {
  const closeReport = (action: 'resolve' | 'dismiss', status: 'resolved' | 'dismissed', other: string) =>
    defineRoute({
      method: 'POST',
      url: `/api/v1/admin/reports/:id/${action}`,
      operationId: `${action}Report`,
      tag: 'admin',
      summary: `${action === 'resolve' ? 'Resolve' : 'Dismiss'} a report`,
      description: `Idempotent, with an optional note; 409 \`report_closed\` when it was ${other}.`,
      auth: 'admin',
      params: ReportIdParams,
      body: CloseReport,
      bodyOptional: true,
      response: AdminReportEnvelope,
      errors: [404, 409],
      handler: async (request) => ({ report: await s.reports.close(request.user, request.params.id, status, request.body?.note ?? '') }),
    });

  return [
    // Blocks
    defineRoute({
      method: 'PUT',
      url: '/api/v1/users/:username/block',
      operationId: 'blockUser',
      tag: 'safety',
      summary: 'Block someone (idempotent)',
      description:
        "Removes follows both ways. Neither of you sees the other's videos or comments; they cannot follow you, comment on your videos or mention you.",
      auth: 'user',
      params: UsernameParams,
      response: BlockResult,
      errors: [404],
      handler: async (request) => s.blocks.block(request.user, request.params.username),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/users/:username/block',
      operationId: 'unblockUser',
      tag: 'safety',
      summary: 'Unblock (idempotent)',
      description: 'Follows removed by the block are not restored.',
      auth: 'user',
      params: UsernameParams,
      response: BlockResult,
      errors: [404],
      handler: async (request) => s.blocks.unblock(request.user, request.params.username),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/blocks',
      operationId: 'listBlocks',
      tag: 'safety',
      summary: 'People you blocked',
      description: 'Most recent first.',
      auth: 'user',
      query: PageQuery,
      response: BlockPage,
      handler: async (request) => s.blocks.list(request.user, request.query),
    }),

    // Reports
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports',
      idempotent: true,
      operationId: 'createReport',
      tag: 'safety',
      summary: 'Report a video, comment or user',
      description:
        'You can report what you can see, never yourself; one open report per target (409 `already_reported` with `details.reportId`). `details` is required with reason `other`.',
      auth: 'user',
      rateLimit: 'report',
      body: CreateReport,
      status: 201,
      response: ReportCreated,
      errors: [404, 409],
      handler: async (request) => ({ report: await s.reports.create(request.user, request.body) }),
    }),

    // Admin: the report queue
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/reports',
      operationId: 'listReports',
      tag: 'admin',
      summary: 'The report queue',
      description: 'Open reports oldest first; resolved or dismissed ones newest first.',
      auth: 'admin',
      query: ReportQueueQuery,
      response: AdminReportPage,
      handler: async (request) => s.reports.queue(request.user, request.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/reports/:id',
      operationId: 'getReport',
      tag: 'admin',
      summary: 'One report',
      description: 'With the reported thing as it is now and how many open reports it has.',
      auth: 'admin',
      params: ReportIdParams,
      response: AdminReportEnvelope,
      errors: [404],
      handler: async (request) => ({ report: await s.reports.get(request.user, request.params.id) }),
    }),
    closeReport('resolve', 'resolved', 'dismissed'),
    closeReport('dismiss', 'dismissed', 'resolved'),

    // Admin: takedowns
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/videos/:id/takedown',
      operationId: 'takeDownVideo',
      tag: 'admin',
      summary: 'Take a video down',
      description: 'Hidden everywhere; its owner sees it with `takedown: {reason, at}`. Resolves its open reports.',
      auth: 'admin',
      params: VideoIdParams,
      body: ModerationReason,
      response: AdminVideoEnvelope,
      errors: [404],
      handler: async (request) => s.moderation.takedown(request.user, request.params.id, request.body.reason),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/admin/videos/:id/takedown',
      operationId: 'restoreVideo',
      tag: 'admin',
      summary: 'Restore a taken-down video',
      description: 'Visible again to whoever its visibility allows.',
      auth: 'admin',
      params: VideoIdParams,
      response: AdminVideoEnvelope,
      errors: [404],
      handler: async (request) => s.moderation.restore(request.user, request.params.id),
    }),

    // Admin: accounts and bans
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/users/:username',
      operationId: 'getAdminUser',
      tag: 'admin',
      summary: 'An account, banned or not',
      description: 'With its ban (reason and time) and video count.',
      auth: 'admin',
      params: UsernameParams,
      response: AdminUserEnvelope,
      errors: [404],
      handler: async (request) => ({ user: await s.moderation.user(request.params.username) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/users/:username/ban',
      operationId: 'banUser',
      tag: 'admin',
      summary: 'Ban an account',
      description:
        'Revokes its sessions; login answers 403 `account_banned`; its profile, videos and comments are hidden everywhere. Admins cannot be banned (403 `cannot_ban_admin`).',
      auth: 'admin',
      params: UsernameParams,
      body: ModerationReason,
      response: AdminUserEnvelope,
      errors: [404],
      handler: async (request) => s.moderation.ban(request.user, request.params.username, request.body.reason),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/admin/users/:username/ban',
      operationId: 'unbanUser',
      tag: 'admin',
      summary: 'Lift a ban',
      description: 'The account can log in again; its content is visible again.',
      auth: 'admin',
      params: UsernameParams,
      response: AdminUserEnvelope,
      errors: [404],
      handler: async (request) => s.moderation.unban(request.params.username),
    }),
  ];
}
