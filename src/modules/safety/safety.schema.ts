import { z } from 'zod';
import { count, isoTime, page, PageQuery } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { cleanText } from '../../lib/text.js';
import { UserSummary } from '../accounts/accounts.schema.js';
import { Video } from '../videos/videos.schema.js';
import { REPORT_REASONS, REPORT_STATUSES, REPORT_TARGET_TYPES } from './reports.repository.js';

// ------------------------------------------------------------------ blocks

export const BlockResult = responseSchema('BlockResult', z.object({ blocking: z.boolean() }));
const BlockListItem = UserSummary.extend({ blockedAt: isoTime });
export type BlockListItem = z.infer<typeof BlockListItem>;
export const BlockPage = responseSchema('BlockPage', page(BlockListItem));

// ----------------------------------------------------------------- reports

export const MAX_REPORT_DETAILS = 1000;
export const MAX_NOTE_LENGTH = 1000;
export const MAX_MODERATION_REASON = 500;

export const CreateReport = requestSchema(
  'CreateReport',
  z
    .object({
      targetType: z.enum(REPORT_TARGET_TYPES),
      targetId: z
        .string()
        .regex(ID_PATTERN, 'not an id')
        .describe("A video id, a comment id, or a user's id (`author.id`, the `id` of a profile)"),
      reason: z.enum(REPORT_REASONS),
      details: z
        .string()
        .max(MAX_REPORT_DETAILS, `must be at most ${MAX_REPORT_DETAILS} characters`)
        .transform((s) => cleanText(s, { multiline: true }))
        .optional()
        .describe('Required with reason `other`'),
    })
    .strict()
    .refine((r) => r.reason !== 'other' || (r.details ?? '').length > 0, {
      error: 'say what is wrong in details when the reason is "other"',
      path: ['details'],
    }),
);
export type CreateReportInput = z.infer<typeof CreateReport>;

export const ReportQueueQuery = PageQuery.extend({
  status: z.enum(REPORT_STATUSES).default('open'),
  targetType: z.enum(REPORT_TARGET_TYPES).optional(),
});
export type ReportQueueParams = z.infer<typeof ReportQueueQuery>;

export const CloseReport = requestSchema(
  'CloseReport',
  z
    .object({
      note: z
        .string()
        .max(MAX_NOTE_LENGTH, `must be at most ${MAX_NOTE_LENGTH} characters`)
        .transform((s) => cleanText(s, { multiline: true }))
        .optional(),
    })
    .strict(),
);

/** `{reason}` of a takedown or a ban: shown to the video's owner, or to the banned user when they try to log in. */
export const ModerationReason = requestSchema(
  'ModerationReason',
  z
    .object({
      reason: z
        .string()
        .max(MAX_MODERATION_REASON, `must be at most ${MAX_MODERATION_REASON} characters`)
        .transform((s) => cleanText(s, { multiline: false }))
        .pipe(z.string().min(1, 'must not be empty')),
    })
    .strict(),
);

const ReportFields = z.object({
  id: z.string(),
  targetType: z.enum(REPORT_TARGET_TYPES),
  targetId: z.string(),
  reason: z.enum(REPORT_REASONS),
  details: z.string(),
  status: z.enum(REPORT_STATUSES),
  createdAt: isoTime,
});
/** What the reporter gets back. */
export const Report = responseSchema('Report', ReportFields);
export type ReportView = z.infer<typeof Report>;
export const ReportCreated = responseSchema('ReportCreated', z.object({ report: Report }));

// ------------------------------------------------------------------- admin

const person = z.object({ id: z.string(), username: z.string() });

export const AdminUser = responseSchema(
  'AdminUser',
  z.object({
    type: z.literal('user'),
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    bio: z.string(),
    role: z.enum(['user', 'admin']),
    banned: z.object({ reason: z.string(), at: isoTime }).nullable(),
    createdAt: isoTime,
  }),
);
export type AdminUserTarget = z.infer<typeof AdminUser>;

export const AdminVideo = responseSchema(
  'AdminVideo',
  Video.extend({ type: z.literal('video'), ownerBanned: z.boolean() }),
  'A video as admins see it, whatever its visibility; `takedown` is present while it is taken down',
);
export const AdminComment = responseSchema(
  'AdminComment',
  z.object({
    type: z.literal('comment'),
    id: z.string(),
    videoId: z.string(),
    text: z.string(),
    author: person.extend({ banned: z.boolean() }),
    createdAt: isoTime,
  }),
);
export type AdminVideoView = z.infer<typeof AdminVideo>;
const ReportTarget = z.discriminatedUnion('type', [AdminVideo, AdminComment, AdminUser]);
export type ReportTarget = z.infer<typeof ReportTarget>;

/** What admins see in the queue. */
export const AdminReport = responseSchema(
  'AdminReport',
  ReportFields.extend({
    reporter: person.nullable(),
    target: ReportTarget.nullable().describe('The reported thing as it is now; null once deleted'),
    openReportsOnTarget: count().describe('Open reports on the same target, from everyone (this one included while open)'),
    resolution: z.object({ note: z.string(), by: person.nullable(), at: isoTime }).nullable(),
  }),
);
export type AdminReportView = z.infer<typeof AdminReport>;
export const AdminReportEnvelope = responseSchema('AdminReportEnvelope', z.object({ report: AdminReport }));
export const AdminReportPage = responseSchema('AdminReportPage', page(AdminReport));
export const AdminVideoEnvelope = responseSchema('AdminVideoEnvelope', z.object({ video: AdminVideo }));
const AdminUserView = AdminUser.extend({ videoCount: count() });
export type AdminUserView = z.infer<typeof AdminUserView>;
export const AdminUserEnvelope = responseSchema('AdminUserEnvelope', z.object({ user: AdminUserView }));
