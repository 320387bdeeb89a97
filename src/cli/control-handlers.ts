import type { Database } from '../ports/database.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ArchiveService } from '../modules/archive/archive.service.js';
import { archiveWith } from './archive-command.js';
import type { ControlHandler } from './control-socket.js';
import { jobsWith } from './jobs-command.js';
import { adminWith, backupWith, migrationStatusWith, parseBackupArgs } from './operations.js';

/** What a running embedded server answers on its control socket: the commands that need its database. */
export function controlHandlers(db: Database, store: ObjectStore, archive?: ArchiveService): Record<string, ControlHandler> {
  return {
    ...(archive ? { archive: (args: string[], io: Parameters<ControlHandler>[1]) => archiveWith(archive, args, io) } : {}),
    admin: (args, io) => adminWith(db, args, io),
    backup: (args, io) => backupWith(db, store, parseBackupArgs(args), io),
    'migrate-status': (_args, io) => migrationStatusWith(db, io),
    jobs: (args, io) => jobsWith(db, args, io),
  };
}
