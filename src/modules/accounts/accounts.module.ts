import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../lib/module.js';
import type { ImageProcessor } from '../../ports/image-processor.js';
import type { LakeReader } from '../lake/lake-reader.js';
import { PlaybackHistory } from '../lake/playback-history.js';
import type { VideosModule } from '../videos/videos.module.js';
import { AccountDeletion } from './account-deletion.js';
import { AccountsRepository } from './accounts.repository.js';
import { accountsRoutes } from './accounts.routes.js';
import { AccountsService } from './accounts.service.js';
import { DataExport } from './data-export.js';
import { ProfilesRepository } from './profiles.repository.js';
import { profilesRoutes, registerAvatarUpload } from './profiles.routes.js';
import { ProfilesService } from './profiles.service.js';

/** Accounts and sessions (password change, account deletion, data export), profiles and avatars. */
export function createAccountsModule(p: Platform, videos: VideosModule, images: ImageProcessor, lakeReader: LakeReader) {
  const log = p.log.child({ module: 'accounts' });
  const accounts = new AccountsService(new AccountsRepository(p.db), p.config.auth.sessionTtlDays);
  const profiles = new ProfilesService(new ProfilesRepository(p.db), videos.repo, videos.videos, p.store, p.config.mediaBaseUrl, images);
  const deletion = new AccountDeletion(
    p.db,
    p.queue,
    p.store,
    accounts,
    videos.management,
    videos.events,
    p.config.auth.deletedUsernameHoldDays,
    log,
  );
  const dataExport = new DataExport(p.db, p.store, log, new PlaybackHistory(p.db, lakeReader));
  return {
    accounts,
    profiles,
    deletion,
    routes: [...accountsRoutes(accounts, deletion, dataExport), ...profilesRoutes(profiles, p.store, p.config.media.sharedMaxAgeSec)],
    /** The avatar upload parses raw bytes in a scope of its own. */
    registerScopedRoutes: (http: FastifyInstance) => registerAvatarUpload(http, profiles),
  };
}
export type AccountsModule = ReturnType<typeof createAccountsModule>;
