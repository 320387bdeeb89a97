import { DeviceHeader } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { viewerOf } from '../../lib/http/viewer.js';
import { clientKey } from '../safety/rate-limiter.js';
import { EventsBatch, EventsResult } from './events.schema.js';
import type { EventsService } from './events.service.js';

export function eventsRoutes(events: EventsService): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/events',
      idempotent: true,
      operationId: 'recordPlaybackEvents',
      tag: 'events',
      summary: 'Playback events (batched)',
      description:
        'Signed in, or anonymous with X-Device-Id (400 `device_id_required` with neither). Events for videos you cannot see are dropped and counted in `dropped`. ' +
        'They feed view counts, trending and the For You model. Batches also count against a per-device limit; on 429, keep the batch and resend it ' +
        'after Retry-After. Anonymous views are also bounded per address: an address counts views for a limited number of new device ids ' +
        'per window and a limited number of views per video per day (beyond them events are accepted, and `viewsCounted` says what counted).',
      auth: 'optional',
      rateLimit: 'events',
      headers: DeviceHeader,
      body: EventsBatch,
      response: EventsResult,
      handler: async (request) => events.ingest(viewerOf(request), request.body, clientKey(request.ip)),
    }),
  ];
}
