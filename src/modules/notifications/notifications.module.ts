import type { Platform } from '../../lib/module.js';
import type { AccountsModule } from '../accounts/accounts.module.js';
import type { VideosModule } from '../videos/videos.module.js';
import { NotificationWatch } from './notification-watch.js';
import { NotificationsRepository } from './notifications.repository.js';
import { notificationsRoutes } from './notifications.routes.js';
import { NotificationsService } from './notifications.service.js';

/** How often a process re-reads the inboxes its live streams watch (changes made by other processes). */
export const NOTIFICATION_POLL_MS = 1000;

/**
 * Notifications: the inbox, mute settings, the live stream, and the
 * activity hooks the social module calls (likes, follows, comments); video
 * ready/failed and caption mentions are written by database triggers.
 */
export function createNotificationsModule(p: Platform, videos: VideosModule, accounts: AccountsModule) {
  const repo = new NotificationsRepository(p.db);
  const log = p.log.child({ module: 'notifications' });
  const watch = new NotificationWatch((ids) => repo.signatures(ids), NOTIFICATION_POLL_MS, log);
  const notifications = new NotificationsService(repo, videos.videos, videos.repo, (row) => accounts.profiles.summary(row), watch, log);
  return { notifications, watch, routes: notificationsRoutes(notifications, watch) };
}
export type NotificationsModule = ReturnType<typeof createNotificationsModule>;
