import { VideoIdParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { Video } from '../videos/videos.schema.js';
import { CompleteUpload, CreatedUpload, CreateUpload, UploadLimits, UploadStatus } from './uploads.schema.js';
import { ACCEPTED_CONTENT_TYPES, type UploadsService } from './uploads.service.js';

/** What a client checks before uploading: the server's own limits, so the browser never guesses. */
export function uploadLimits(cfg: { maxBytes: number; dailyCount: number; dailyBytes: number }, maxDurationSec: number): UploadLimits {
  return {
    maxBytes: cfg.maxBytes,
    maxDurationSec,
    contentTypes: [...ACCEPTED_CONTENT_TYPES],
    dailyCount: cfg.dailyCount,
    dailyBytes: cfg.dailyBytes,
  };
}

export function uploadsRoutes(uploads: UploadsService, limits: UploadLimits): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/uploads/limits',
      operationId: 'getUploadLimits',
      tag: 'uploads',
      summary: "The server's upload limits",
      description:
        'Size, duration, accepted types and the daily quota, for checks before uploading. The same for everyone: cacheable for a while.',
      auth: 'none',
      response: UploadLimits,
      handler: async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return limits;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/uploads',
      idempotent: true,
      operationId: 'createUpload',
      tag: 'uploads',
      summary: 'Start an upload',
      description:
        'Returns signed URL(s) to PUT the file to: one URL, or one per part for large files (multipart, resumable). Storage then starts processing by itself; `complete` makes sure. ' +
        'Counts against the daily upload quota (uploads and bytes per UTC day): over it, 429 `upload_quota_exceeded` with Retry-After (seconds to midnight UTC).',
      auth: 'user',
      rateLimit: 'upload',
      body: CreateUpload,
      status: 201,
      response: CreatedUpload,
      errors: [413, 415, 507],
      handler: async (request) => uploads.create(request.user, request.body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/uploads/:id',
      operationId: 'getUpload',
      tag: 'uploads',
      summary: 'Where an upload stands',
      description:
        'The video and, while it is still uploading, fresh signed URLs for the parts storage does not hold yet (resume after a drop or a reload).',
      auth: 'user',
      params: VideoIdParams,
      response: UploadStatus,
      errors: [404],
      handler: async (request) => uploads.status(request.user, request.params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/uploads/:id/complete',
      operationId: 'completeUpload',
      tag: 'uploads',
      summary: 'Finish an upload (idempotent)',
      description:
        'Assembles a multipart upload and queues processing; 409 `upload_incomplete` when parts are missing, 507 `storage_full` when the disk cannot hold the assembled file (retry later).',
      auth: 'user',
      params: VideoIdParams,
      body: CompleteUpload,
      bodyOptional: true,
      response: Video,
      errors: [404, 409, 507],
      handler: async (request) => uploads.complete(request.user, request.params.id, request.body?.parts),
    }),
  ];
}
