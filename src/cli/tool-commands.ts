import { MemoryCache } from '../adapters/cache/memory-cache.js';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { migrate } from '../adapters/db/migrate.js';
import { DatabaseInUseError } from '../adapters/db/pglite-database.js';
import { createObjectStore, openDatabase } from '../adapters/factory.js';
import { DbJobQueue } from '../adapters/queue/db-job-queue.js';
import { resolveSigningSecret } from '../config/signing-secret.js';
import { ANALYTICS_USAGE, parseAnalyticsArgs, runAnalytics } from '../modules/analytics/admin-analytics-command.js';
import { bufferHints } from '../modules/lake/batching.js';
import { LakeDelivery } from '../modules/lake/lake-delivery.js';
import { LakeReader } from '../modules/lake/lake-reader.js';
import { parseRecsArgs, RECS_USAGE, recsEvalCommand, recsTrainCommand } from '../modules/recs/recs-command.js';
import { ADMIN_USAGE } from '../modules/safety/admin-command.js';
import { createStorageReportService } from '../modules/archive/storage-report.module.js';
import { parseStorageArgs, runStorageReport, STORAGE_USAGE } from '../modules/archive/storage-report-command.js';
import type { Database } from '../ports/database.js';
import { CliFailure, CliUsageError, EXIT, type CliCommand, type CliContext } from './command.js';
import { callControlServer, controlSocketPath, type ControlRequest } from './control-socket.js';
import { adminWith, migrationStatusWith } from './operations.js';

/** Opens the configured database with migrations applied, runs `fn`, closes it whatever happens. */
export async function withDatabase<T>(ctx: CliContext, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(ctx.config());
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Runs `direct` on the configured database; when a running embedded server
 * holds it (PGlite allows one process), sends `request` to that server's
 * control socket instead, which runs the same operation and prints back
 * through this process. `migrateFirst`: apply pending migrations when this
 * process opens the database itself (a running server has already).
 */
export async function withDatabaseOrServer(
  ctx: CliContext,
  request: ControlRequest,
  direct: (db: Database) => Promise<number>,
  opts: { migrateFirst: boolean },
): Promise<number> {
  const config = ctx.config();
  let db: Database;
  try {
    db = await openDatabase(config);
  } catch (err) {
    if (!(err instanceof DatabaseInUseError) || config.database.kind !== 'pglite') throw err;
    const socket = controlSocketPath(config.database.dir);
    const code = await callControlServer(socket, request, ctx.io);
    if (code !== null) return code;
    throw new CliFailure(
      `${err.message} It does not answer on its control socket ${socket} either (a Curta from before the socket, or its data ` +
        'folder path is too long for a unix socket): stop it, then run this command again.',
      EXIT.unavailable,
    );
  }
  try {
    if (opts.migrateFirst) await migrate(db);
    return await direct(db);
  } finally {
    await db.close();
  }
}

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply database migrations and exit; curta migrate status lists them',
  usage: `Usage: curta migrate
       curta migrate status

  curta migrate applies the migrations the database lacks, in order, each
  in its own transaction, and exits. Safe to run again and from several
  processes at once (they take turns). An applied migration file that was
  edited since (its recorded sha256 differs) is refused, naming the file:
  applied migrations never change; put the change in a new one.

  curta migrate status lists every migration: version, name, state
  (applied, pending, edited = changed since applied, unknown = applied by
  a newer Curta) and when it was applied. It applies nothing. Exit 1 when
  a file was edited, else 0. Works while the embedded server runs (it
  answers through its control socket).`,
  async run(args, ctx) {
    if (args.length === 1 && args[0] === 'status') {
      return withDatabaseOrServer(ctx, { command: 'migrate-status', args: [] }, (db) => migrationStatusWith(db, ctx.io), {
        migrateFirst: false,
      });
    }
    if (args.length > 0) throw new CliUsageError(`curta migrate takes no arguments but "status" (got "${args.join(' ')}")`);
    await withDatabase(ctx, async () => undefined);
    ctx.log().info('migrations applied');
    return EXIT.ok;
  },
};

export const adminCliCommand: CliCommand = {
  name: 'admin',
  summary: 'grant or revoke the admin role: curta admin grant|revoke <username>',
  usage: `${ADMIN_USAGE}

  Works while the embedded server runs: it asks that process, through its
  control socket, to make the change.`,
  async run(args, ctx) {
    if (args.length !== 2) throw new CliUsageError('curta admin needs an action and a username');
    return withDatabaseOrServer(ctx, { command: 'admin', args }, (db) => adminWith(db, args, ctx.io), { migrateFirst: true });
  },
};

export const recsCliCommand: CliCommand = {
  name: 'recs',
  summary: 'recommender: curta recs train [--force] | curta recs eval --dataset <dir>',
  usage: RECS_USAGE,
  async run(args, ctx) {
    const parsed = parseRecsArgs(args);
    if ('error' in parsed) throw new CliUsageError(parsed.error);
    if (parsed.command === 'eval') return recsEvalCommand(parsed, ctx.io);
    const config = ctx.config();
    return withDatabase(ctx, async (db) => {
      const log = ctx.log();
      const store = createObjectStore(await resolveSigningSecret(config, log));
      // Its own scratch cache of lake files (a running server's cache is its own), removed afterwards.
      await mkdir(config.analytics.cacheDir, { recursive: true });
      const cacheDir = await mkdtemp(join(config.analytics.cacheDir, 'recs-train-'));
      try {
        const reader = new LakeReader(db, store, { cacheDir, cacheMaxBytes: config.analytics.cacheMaxBytes, log });
        const { lake } = config;
        const delivery = new LakeDelivery(db, store, bufferHints(lake), log);
        return await recsTrainCommand(
          db,
          store,
          {
            windowDays: config.recs.trainWindowDays,
            tuneMaxViewers: config.recs.tuneMaxViewers,
            tuneEaseMaxItems: config.recs.tuneEaseMaxItems,
            force: parsed.force,
            // What the buffer holds is delivered first: events that arrived a moment ago count.
            lake: { reader, flush: () => delivery.flush() },
          },
          ctx.io,
        );
      } finally {
        await rm(cacheDir, { recursive: true, force: true });
      }
    });
  },
};

export const analyticsCliCommand: CliCommand = {
  name: 'analytics',
  summary: 'key figures in the terminal: curta analytics [--from --to] [--json] | --creator <username>',
  usage: `${ANALYTICS_USAGE}

  Reads the database, the lake and the store directly (an in-process
  cache: every run sweeps storage afresh). On the embedded profile, stop a
  running server first (PGlite allows one process).`,
  async run(args, ctx) {
    const parsed = parseAnalyticsArgs(args);
    if ('error' in parsed) throw new CliUsageError(parsed.error);
    const config = await resolveSigningSecret(ctx.config(), ctx.log());
    return withDatabase(ctx, async (db) => {
      const store = createObjectStore(config);
      const queue = new DbJobQueue(db, { defaultMaxAttempts: config.jobs.maxAttempts });
      return runAnalytics(parsed, { config, db, store, cache: new MemoryCache({ maxBytes: 16 * 1024 * 1024 }), queue }, ctx.io);
    });
  },
};

export const storageCliCommand: CliCommand = {
  name: 'storage',
  summary: 'storage bill: curta storage report [--days N] [--json]',
  usage: `${STORAGE_USAGE}

  Reads the database and lists the store directly (every run lists afresh).
  On the embedded profile, stop a running server first (PGlite allows one
  process).`,
  async run(args, ctx) {
    const parsed = parseStorageArgs(args);
    if ('error' in parsed) throw new CliUsageError(parsed.error);
    const config = await resolveSigningSecret(ctx.config(), ctx.log());
    return withDatabase(ctx, async (db) => {
      const store = createObjectStore(config);
      const queue = new DbJobQueue(db, { defaultMaxAttempts: config.jobs.maxAttempts });
      const service = createStorageReportService({ config, db, store, cache: new MemoryCache({ maxBytes: 1024 * 1024 }), queue });
      return runStorageReport(parsed, service, ctx.io);
    });
  },
};
