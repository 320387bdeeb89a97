import { DeviceHeader } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { viewerOf } from '../../lib/http/viewer.js';
import { EventsBatch, EventsResult } from './events.schema.js';
import type { EventsService } from './events.service.js';

export function eventsRoutes(events: EventsService): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/events',
      operationId: 'recordPlaybackEvents',
      tag: 'events',
      summary: 'Playback events (batched)',
      description:
        'Signed in, or anonymous with X-Device-Id (400 `device_id_required` with neither). Events for videos you cannot see are dropped and counted in `dropped`. ' +
        'They feed view counts, trending and the For You model.',
      auth: 'optional',
      headers: DeviceHeader,
      body: EventsBatch,
      response: EventsResult,
      handler: async (request) => events.ingest(viewerOf(request), request.body),
    }),
  ];
}
