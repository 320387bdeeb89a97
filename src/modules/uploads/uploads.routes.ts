import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../http/auth.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { CompleteUploadSchema, CreateUploadSchema, type UploadsService } from './uploads.service.js';

const IdParams = z.object({ id: z.string().regex(ID_PATTERN, 'not a video id') });

export function uploadsRoutes(app: FastifyInstance, uploads: UploadsService): void {
  app.post('/api/v1/uploads', { config: { rateLimit: 'upload' } }, async (request, reply) => {
    const user = requireUser(request);
    const result = await uploads.create(user, CreateUploadSchema.parse(request.body));
    return reply.status(201).send(result);
  });

  app.get('/api/v1/uploads/:id', async (request) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    return uploads.status(user, id);
  });

  app.post('/api/v1/uploads/:id/complete', async (request) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    const body = CompleteUploadSchema.parse(request.body ?? undefined);
    return uploads.complete(user, id, body?.parts);
  });
}
