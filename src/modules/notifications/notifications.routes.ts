import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { coalescedUpdate, openSseStream } from '../../lib/http/sse.js';
import type { NotificationWatch } from './notification-watch.js';
import {
  MarkRead,
  Notification,
  NotificationIdParams,
  NotificationPage,
  NotificationQuery,
  NotificationSettings,
  UnreadCount,
  UpdateNotificationSettings,
} from './notifications.schema.js';
import { STREAM_BATCH, type NotificationsService } from './notifications.service.js';

const SHOWN =
  'Shown: not from anyone you blocked or who blocked you (their existing notifications are hidden too), not of a muted type, ' +
  'and only while you may still see what it is about (a deleted or hidden video or comment takes its notifications with it).';

export function notificationsRoutes(notifications: NotificationsService, watch: NotificationWatch): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/notifications',
      operationId: 'listNotifications',
      tag: 'notifications',
      summary: 'Your notifications',
      description:
        'Most recently changed first. Likes are grouped: one notification per video names its newest likers ' +
        '("ana and 3 others liked your video") and moves up, unread again, when someone new likes it; unliking and liking again changes nothing. ' +
        SHOWN,
      auth: 'user',
      query: NotificationQuery,
      response: NotificationPage,
      handler: async (request) => notifications.list(request.user, request.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/notifications/unread-count',
      operationId: 'countUnreadNotifications',
      tag: 'notifications',
      summary: 'How many notifications are unread',
      description: `What the bell's badge shows. ${SHOWN}`,
      auth: 'user',
      response: UnreadCount,
      handler: async (request) => notifications.unread(request.user),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/me/notifications/:id/read',
      operationId: 'markNotificationRead',
      tag: 'notifications',
      summary: 'Mark one notification read',
      description:
        'Idempotent; answers the notification. Anyone else’s notification (or one no longer shown) is a 404 `notification_not_found`.',
      auth: 'user',
      params: NotificationIdParams,
      response: Notification,
      errors: [404],
      handler: async (request) => notifications.markRead(request.user, request.params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/me/notifications/read-all',
      operationId: 'markAllNotificationsRead',
      tag: 'notifications',
      summary: 'Mark every notification read',
      description: 'Answers how many changed and how many are left unread (0, unless one arrived meanwhile).',
      auth: 'user',
      response: MarkRead,
      handler: async (request) => notifications.markAllRead(request.user),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/notification-settings',
      operationId: 'getNotificationSettings',
      tag: 'notifications',
      summary: 'Which notification types you muted',
      description: 'Muted types are not written while muted, and existing ones of those types are not shown.',
      auth: 'user',
      response: NotificationSettings,
      handler: async (request) => notifications.settings(request.user),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/me/notification-settings',
      operationId: 'updateNotificationSettings',
      tag: 'notifications',
      summary: 'Mute or unmute notification types',
      description: '`muted` replaces the whole list; unknown types and fields are refused (400 `validation_failed`).',
      auth: 'user',
      body: UpdateNotificationSettings,
      response: NotificationSettings,
      handler: async (request) => notifications.updateSettings(request.user, request.body.muted),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/notifications/stream',
      operationId: 'streamNotifications',
      tag: 'notifications',
      summary: 'Your notifications, live, as Server-Sent Events',
      description:
        '`event: unread` (`{"unread": n}`) now and whenever the count changes; `event: notification` (a Notification) for each one ' +
        'that arrives or changes (a like notification again when more people like the video). ' +
        'Changes made by this process arrive at once; those of other processes (another API process, a worker finishing your video) ' +
        'within a second: every process reads the inboxes its streams watch from the shared database once a second, in one query. ' +
        'Open streams are capped per account and per address (`SSE_MAX_STREAMS_PER_USER`, `SSE_MAX_STREAMS_PER_IP`): over the cap, 429 `too_many_streams` with Retry-After.',
      auth: 'user',
      response: { contentType: 'text/event-stream', description: 'An event stream' },
      errors: [429],
      handler: async (request, reply) => {
        const userId = request.user.id;
        let stop = () => {};
        const stream = openSseStream(request, reply, { onClose: () => stop() });
        if (stream.closed) return;
        const [newest] = await notifications.latest(userId, 1).catch(() => []);
        // Rows at or after the watermark are new unless sent already at that same millisecond.
        let watermark = newest ? new Date(newest.updatedAt) : new Date(0);
        let sentAtWatermark = new Set(newest ? [newest.id] : []);
        let unread = -1;
        const push = coalescedUpdate(stream, async () => {
          try {
            for (let batch = 0; batch < 5 && !stream.closed; batch++) {
              const rows = (await notifications.changedSince(userId, watermark)).filter(
                (r) => !(new Date(r.updatedAt).getTime() === watermark.getTime() && sentAtWatermark.has(r.id)),
              );
              for (const row of rows) {
                const at = new Date(row.updatedAt);
                if (at.getTime() !== watermark.getTime()) {
                  watermark = at;
                  sentAtWatermark = new Set();
                }
                sentAtWatermark.add(row.id);
                stream.send('notification', JSON.stringify(row));
              }
              if (rows.length < STREAM_BATCH) break;
            }
            const count = await notifications.unreadCount(userId);
            if (count !== unread) {
              unread = count;
              stream.send('unread', JSON.stringify({ unread: count }));
            }
          } catch (err) {
            request.log.warn({ err }, 'notification stream update failed');
          }
        });
        stop = watch.watch(userId, () => void push());
        if (stream.closed) {
          stop();
          return;
        }
        await push();
      },
    }),
  ];
}
