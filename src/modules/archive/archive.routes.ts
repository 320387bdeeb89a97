import { DeviceHeader, VideoIdParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { Video } from '../videos/videos.schema.js';
import type { ArchiveService } from './archive.service.js';

export function archiveRoutes(archive: ArchiveService): AnyRoute[] {
  const pin = (method: 'PUT' | 'DELETE') =>
    defineRoute({
      method,
      url: '/api/v1/videos/:id/archive-pin',
      operationId: method === 'PUT' ? 'pinVideoAgainstArchive' : 'unpinVideoAgainstArchive',
      tag: 'videos',
      summary:
        method === 'PUT' ? 'Never archive this video (owner or admin)' : 'Let the archive sweep take this video again (owner or admin)',
      description:
        'The archive sweep moves videos nobody watched for a long time to cold storage; a pinned video is never archived (an archived one stays archived until restored). ' +
        "Another account's video answers 403 `forbidden`, or 404 `video_not_found` when it may not even see it.",
      auth: 'user',
      params: VideoIdParams,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async (request) => {
        await archive.setPinned(request.user, request.params.id, method === 'PUT');
        return undefined;
      },
    });
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/videos/:id/restore',
      operationId: 'restoreArchivedVideo',
      tag: 'videos',
      summary: 'Bring an archived video back',
      description:
        'Starts the restore of an archived video (status `restoring`: phase `retrieving` while the store brings the original back, then `processing`, then `ready`), ' +
        'or joins the one in flight: one restore per video, whoever asks. Follow it on GET /api/v1/videos/{id}/events. ' +
        'Anyone who may see the video may ask (signed in, or anonymous with X-Device-Id: 400 `device_id_required` with neither); ' +
        'restores started by viewers other than the owner or an admin are limited per hour per account or device and per address ' +
        '(`ARCHIVE_RESTORES_PER_USER_PER_HOUR`, `ARCHIVE_RESTORES_PER_IP_PER_HOUR`): 429 `restore_rate_limited` with Retry-After. ' +
        'A video in any other state answers 409 `not_archived`.',
      auth: 'optional',
      params: VideoIdParams,
      headers: DeviceHeader,
      status: 202,
      response: Video,
      errors: [400, 404, 409, 429],
      handler: async (request) =>
        archive.requestRestore(request.params.id, {
          user: request.user,
          deviceId: request.headers['x-device-id'] ?? null,
          ip: request.ip,
        }),
    }),
    pin('PUT'),
    pin('DELETE'),
  ];
}
