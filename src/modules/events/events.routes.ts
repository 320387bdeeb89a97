import type { FastifyInstance } from 'fastify';
import { EventsBatchSchema, type EventsService } from './events.service.js';

export function eventsRoutes(app: FastifyInstance, events: EventsService): void {
  app.post('/api/v1/events', async (request) => {
    const header = request.headers['x-device-id'];
    const deviceId = Array.isArray(header) ? header[0] : header;
    return events.ingest(request.user, deviceId, EventsBatchSchema.parse(request.body));
  });
}
