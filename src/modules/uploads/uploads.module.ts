import type { Platform } from '../../lib/module.js';
import type { VideosModule } from '../videos/videos.module.js';
import { UploadReconciler } from './upload-reconciler.js';
import { uploadLimits, uploadsRoutes } from './uploads.routes.js';
import { UploadsService } from './uploads.service.js';

/** Direct uploads to storage through signed URLs, and the sweep that catches lost storage events. */
export function createUploadsModule(p: Platform, videos: VideosModule) {
  const uploads = new UploadsService(p.db, p.store, p.queue, videos.repo, videos.videos, videos.events, p.config.uploads);
  const reconciler = new UploadReconciler(videos.repo, p.store, p.queue, uploads, videos.events, p.log.child({ module: 'reconciler' }));
  return {
    uploads,
    reconciler,
    routes: uploadsRoutes(uploads, uploadLimits(p.config.uploads, p.config.media.maxDurationSec)),
  };
}
export type UploadsModule = ReturnType<typeof createUploadsModule>;
