import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../http/auth.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { ACCEPTED_CONTENT_TYPES, CompleteUploadSchema, CreateUploadSchema, type UploadsService } from './uploads.service.js';

/** What a client checks before uploading: the server's own limits, so the browser never guesses. */
export interface UploadLimits {
  maxBytes: number;
  maxDurationSec: number;
  contentTypes: string[];
  /** Per user per UTC day; 0 = unlimited. */
  dailyCount: number;
  dailyBytes: number;
}

export function uploadLimits(cfg: { maxBytes: number; dailyCount: number; dailyBytes: number }, maxDurationSec: number): UploadLimits {
  return { maxBytes: cfg.maxBytes, maxDurationSec, contentTypes: [...ACCEPTED_CONTENT_TYPES], dailyCount: cfg.dailyCount, dailyBytes: cfg.dailyBytes };
}

const IdParams = z.object({ id: z.string().regex(ID_PATTERN, 'not a video id') });

export function uploadsRoutes(app: FastifyInstance, uploads: UploadsService, limits: UploadLimits): void {
  // The same for everyone and changed only by a redeploy: anyone may cache it for a while.
  app.get('/api/v1/uploads/limits', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return limits;
  });

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
