import type { Platform } from '../../lib/module.js';
import type { VideosModule } from '../videos/videos.module.js';
import { EventsRepository } from './events.repository.js';
import { eventsRoutes } from './events.routes.js';
import { EventsService } from './events.service.js';

/** Playback events: stored for the recommender, turned into views. */
export function createEventsModule(p: Platform, videos: VideosModule) {
  const playback = new EventsService(new EventsRepository(p.db), (id) => videos.videos.countersChanged(id));
  return { playback, routes: eventsRoutes(playback) };
}
export type EventsModule = ReturnType<typeof createEventsModule>;
