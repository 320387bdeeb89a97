import { migrate } from '../adapters/db/migrate.js';
import { createObjectStore, openDatabase } from '../adapters/factory.js';
import { resolveSigningSecret } from '../config/signing-secret.js';
import { parseRecsArgs, RECS_USAGE, recsEvalCommand, recsTrainCommand } from '../modules/recs/recs-command.js';
import { ADMIN_USAGE, adminCommand } from '../modules/safety/admin-command.js';
import type { Database } from '../ports/database.js';
import { CliUsageError, EXIT, type CliCommand, type CliContext } from './command.js';

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

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply database migrations and exit',
  usage: `Usage: curta migrate

  Applies the migrations the database lacks, in order, each in its own
  transaction, and exits. Safe to run again and from several processes
  at once (they take turns).`,
  async run(args, ctx) {
    if (args.length > 0) throw new CliUsageError(`curta migrate takes no arguments (got "${args.join(' ')}")`);
    await withDatabase(ctx, async () => undefined);
    ctx.log().info('migrations applied');
    return EXIT.ok;
  },
};

export const adminCliCommand: CliCommand = {
  name: 'admin',
  summary: 'grant or revoke the admin role: curta admin grant|revoke <username>',
  usage: ADMIN_USAGE,
  async run(args, ctx) {
    if (args.length !== 2) throw new CliUsageError('curta admin needs an action and a username');
    const result = await withDatabase(ctx, (db) => adminCommand(db, args));
    if (result.stdout) ctx.io.out(result.stdout.trimEnd());
    if (result.stderr) ctx.io.err(result.stderr.trimEnd());
    return result.code;
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
      const store = createObjectStore(await resolveSigningSecret(config, ctx.log()));
      return recsTrainCommand(db, store, { windowDays: config.recs.trainWindowDays, force: parsed.force }, ctx.io);
    });
  },
};
