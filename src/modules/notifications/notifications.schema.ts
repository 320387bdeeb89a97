import { z } from 'zod';
import { count, isoTime, page, pageQuery } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { UserSummary } from '../accounts/accounts.schema.js';

/** The kinds of notification, in the order settings list them. */
export const NOTIFICATION_TYPES = [
  'like',
  'comment',
  'reply',
  'mention',
  'follow',
  'video_ready',
  'video_failed',
  'restore_failed',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

const NotificationTypeSchema = z
  .enum(NOTIFICATION_TYPES)
  .describe(
    '`like`: people liked your video (one notification per video, grouped); `comment`: a comment on your video; ' +
      '`reply`: a reply to your comment; `mention`: you were @mentioned in a comment or a caption; `follow`: a new follower; ' +
      '`video_ready` / `video_failed`: processing of your upload finished or gave up; ' +
      '`restore_failed`: bringing your archived video back gave up (it stays archived; at most one a video a day)',
  );

export const NotificationIdParams = z.object({
  id: z.string().regex(ID_PATTERN, 'not a notification id').describe('Notification id'),
});
export const NotificationQuery = pageQuery(20);

export const Notification = responseSchema(
  'Notification',
  z.object({
    id: z.string(),
    type: NotificationTypeSchema,
    text: z.string().describe('The sentence to show, e.g. "ana and 3 others liked your video"'),
    read: z.boolean(),
    actors: z.array(UserSummary).describe('Who did it, newest first (at most 3; likes group several people)'),
    actorCount: count().describe(
      'How many people in all (likes: everyone who liked it and whom you may see); 0 for video_ready / video_failed',
    ),
    video: z
      .object({
        id: z.string(),
        caption: z.string(),
        status: z.string(),
        posterUrl: z.string().nullable(),
        error: z
          .object({ code: z.string(), message: z.string() })
          .optional()
          .describe('Why processing failed (video_failed) or the restore gave up (restore_failed)'),
      })
      .nullable(),
    comment: z
      .object({ id: z.string(), text: z.string(), parentId: z.string().nullable().describe('Its thread (a reply); null: top level') })
      .nullable(),
    createdAt: isoTime,
    updatedAt: isoTime.describe('When it last changed (a like notification moves up when more people like the video)'),
  }),
);
export type NotificationView = z.infer<typeof Notification>;

export const NotificationPage = responseSchema('NotificationPage', page(Notification));
export const UnreadCount = responseSchema('NotificationUnreadCount', z.object({ unread: count() }));

export const MarkRead = responseSchema(
  'NotificationsMarkedRead',
  z.object({ marked: count().describe('How many changed'), unread: count().describe('Unread left') }),
);

export const NotificationSettings = responseSchema(
  'NotificationSettings',
  z.object({
    muted: z.array(NotificationTypeSchema).describe('Types you are not told about (not written while muted, not shown)'),
    types: z.array(NotificationTypeSchema).describe('Every type there is'),
  }),
);

export const UpdateNotificationSettings = requestSchema(
  'UpdateNotificationSettings',
  z
    .object({
      muted: z
        .array(NotificationTypeSchema)
        .max(NOTIFICATION_TYPES.length)
        .describe('The full list of muted types (replaces the previous one); [] unmutes everything'),
    })
    .strict()
    .meta({ examples: [{ muted: ['like', 'follow'] }] }),
);
export type UpdateNotificationSettings = z.infer<typeof UpdateNotificationSettings>;
