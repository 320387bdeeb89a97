import { createCache, createObjectStore, createRateCounters, createTranscoder } from '../adapters/factory.js';
import { DbJobQueue } from '../adapters/queue/db-job-queue.js';
import type { Config } from '../config/config.js';
import { resolveSigningSecret } from '../config/signing-secret.js';
import { AppError } from '../errors.js';
import type { Platform } from '../lib/module.js';
import { ARCHIVE_USAGE, parseArchiveArgs, runArchiveCommand } from '../modules/archive/archive-command.js';
import { createArchiveModule } from '../modules/archive/archive.module.js';
import { RateLimiter } from '../modules/safety/rate-limiter.js';
import { createSocialGraph } from '../modules/social/social-graph.js';
import { createVideosModule } from '../modules/videos/videos.module.js';
import type { Database } from '../ports/database.js';
import type { CliIo } from './command.js';
import { CliFailure, CliUsageError, type CliCommand } from './command.js';
import type { ArchiveService } from '../modules/archive/archive.service.js';
import { withDatabaseOrServer } from './tool-commands.js';

/** `curta archive …` on an archive service (the running server's, through its control socket, or one made here). */
export async function archiveWith(service: ArchiveService, args: string[], io: CliIo): Promise<number> {
  const parsed = parseArchiveArgs(args);
  if ('error' in parsed) {
    io.err(parsed.error);
    io.err(ARCHIVE_USAGE);
    return 64;
  }
  try {
    return await runArchiveCommand(service, parsed, io);
  } catch (err) {
    if (err instanceof AppError) {
      io.err(`curta archive: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** The archive service over this process's own adapters (the database handed in). */
async function localArchive(config: Readonly<Config>, db: Database, log: Platform['log']): Promise<ArchiveService> {
  const cache = await createCache(config);
  const platform: Platform = {
    config,
    log,
    db,
    store: createObjectStore(config, log.child({ module: 'storage' })),
    cache,
    queue: new DbJobQueue(db, { logger: log.child({ module: 'queue' }) }),
  };
  const videos = createVideosModule(platform, createSocialGraph(db));
  const counters = await createRateCounters(config, cache);
  const transcoder = createTranscoder(config);
  return createArchiveModule(platform, videos, transcoder, new RateLimiter(counters.store)).archive;
}

export const archiveCommand: CliCommand = {
  name: 'archive',
  summary: 'cold archive: curta archive sweep [--dry-run] | video <id> | restore <id>',
  usage: `${ARCHIVE_USAGE}

  Works while the embedded server runs: it asks that process, through its
  control socket, to do it.`,
  async run(args, ctx) {
    const parsed = parseArchiveArgs(args);
    if ('error' in parsed) throw new CliUsageError(parsed.error);
    return withDatabaseOrServer(
      ctx,
      { command: 'archive', args },
      async (db) => {
        const log = ctx.log();
        const config = await resolveSigningSecret(ctx.config(), log);
        const code = await archiveWith(await localArchive(config, db, log), args, ctx.io);
        if (code !== 0 && code !== 1) throw new CliFailure('curta archive failed', code);
        return code;
      },
      { migrateFirst: true },
    );
  },
};
