import { resolve } from 'node:path';
import { createObjectStore, openDatabase } from '../adapters/factory.js';
import { resolveSigningSecret } from '../config/signing-secret.js';
import { inspectBackup, restoreBackup } from '../modules/backup/restore.js';
import type { Database } from '../ports/database.js';
import { CliUsageError, EXIT, type CliCommand, type CliContext } from './command.js';
import { backupWith, parseBackupArgs } from './operations.js';
import { withDatabaseOrServer } from './tool-commands.js';

async function objectStore(ctx: CliContext) {
  return createObjectStore(await resolveSigningSecret(ctx.config(), ctx.log()));
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'write a consistent backup (database rows + stored objects) into a new folder',
  usage: `Usage: curta backup <dir> [--no-objects]

  Writes a backup of this instance into <dir> (created; must be absent or
  empty): every table's rows as of one instant (one REPEATABLE READ
  snapshot), the schema version (applied migrations), and every stored
  object, streamed through the configured store, with a sha256 of each file
  in <dir>/manifest.json, written last. The layout is the same for every
  profile: restore it into PGlite + filesystem or PostgreSQL + S3.

  Works while the embedded server runs: that process writes the backup
  (other database work waits for the row snapshot, not for the objects).
  On PostgreSQL it runs beside the live servers.

  --no-objects   list the objects (key, size, type) but do not copy them:
                 for an S3 bucket that is versioned or replicated by its
                 own means (see README, "Backup and restore")`,
  async run(args, ctx) {
    const parsed = parseBackupArgs(args);
    // The folder is absolute already: a running server writes it, from its own working directory.
    const forServer = [parsed.dir, ...(parsed.objects === 'index' ? ['--no-objects'] : [])];
    return withDatabaseOrServer(
      ctx,
      { command: 'backup', args: forServer },
      async (db: Database) => backupWith(db, await objectStore(ctx), parsed, ctx.io),
      { migrateFirst: false },
    );
  },
};

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'restore a backup into an empty instance (any profile); --force erases a non-empty one first',
  usage: `Usage: curta restore <dir> [--force]

  Restores the backup in <dir> into the configured database and object
  store, whichever profile made it: a backup of the embedded profile
  restores into PostgreSQL + S3 (set DATABASE_URL and S3_BUCKET) and back.

  Before writing anything it checks the manifest, that this Curta knows the
  backup's schema (a backup from a newer Curta is refused), every file's
  sha256, and that the target is empty. Then it applies the migrations up
  to the backup's schema, loads every row in one transaction, restores the
  sequences, copies the objects, and applies the migrations newer than the
  backup. Stop the servers of the target first (the embedded database
  allows one process).

  --force   erase the target's rows and objects first, instead of refusing
            a target that has any`,
  async run(args, ctx) {
    let dir: string | undefined;
    let force = false;
    for (const arg of args) {
      if (arg === '--force') force = true;
      else if (arg.startsWith('-')) throw new CliUsageError(`Unknown option '${arg}'`);
      else if (dir === undefined) dir = arg;
      else throw new CliUsageError(`curta restore takes one folder (got "${dir}" and "${arg}")`);
    }
    if (!dir) throw new CliUsageError('curta restore needs the backup folder');
    const config = ctx.config();
    // A wrong folder or a damaged backup is reported before the target is opened (or created).
    const manifest = await inspectBackup(resolve(dir), { say: ctx.io.out });
    const store = await objectStore(ctx);
    const db = await openDatabase(config);
    try {
      const summary = await restoreBackup(db, store, resolve(dir), manifest, { force, say: ctx.io.out });
      ctx.io.out(`restored ${summary.rows} rows and ${summary.objects} objects from ${resolve(dir)}`);
      return EXIT.ok;
    } finally {
      await db.close();
    }
  },
};
