import { resolve } from 'node:path';
import { migrationStatus, type MigrationState } from '../adapters/db/migrate.js';
import { createBackup } from '../modules/backup/backup.js';
import { adminCommand } from '../modules/safety/admin-command.js';
import type { Database } from '../ports/database.js';
import type { ObjectStore } from '../ports/object-store.js';
import { CliUsageError, EXIT, type CliIo } from './command.js';
import { curtaVersion } from './main.js';

/**
 * What `curta admin`, `curta backup` and `curta migrate status` do once they
 * have a database: the same code whether the CLI opened the database itself
 * or a running embedded server does it for the CLI over its control socket.
 */

export async function adminWith(db: Database, args: string[], io: CliIo): Promise<number> {
  const result = await adminCommand(db, args);
  if (result.stdout) io.out(result.stdout.trimEnd());
  if (result.stderr) io.err(result.stderr.trimEnd());
  return result.code;
}

export interface BackupArgs {
  dir: string;
  objects: 'copied' | 'index';
}

export function parseBackupArgs(args: readonly string[]): BackupArgs {
  let dir: string | undefined;
  let objects: BackupArgs['objects'] = 'copied';
  for (const arg of args) {
    if (arg === '--no-objects') objects = 'index';
    else if (arg.startsWith('-')) throw new CliUsageError(`Unknown option '${arg}'`);
    else if (dir === undefined) dir = arg;
    else throw new CliUsageError(`curta backup takes one folder (got "${dir}" and "${arg}")`);
  }
  if (!dir) throw new CliUsageError('curta backup needs the folder to write the backup into');
  return { dir: resolve(dir), objects };
}

export async function backupWith(db: Database, store: ObjectStore, args: BackupArgs, io: CliIo): Promise<number> {
  const summary = await createBackup(db, store, args.dir, { objects: args.objects, curtaVersion: curtaVersion(), say: io.out });
  io.out(`backup written to ${args.dir} (${summary.rows} rows, ${summary.objects} objects)`);
  return EXIT.ok;
}

export function formatMigrationStatus(states: readonly MigrationState[]): string[] {
  const width = Math.max(4, ...states.map((s) => s.name.length));
  const lines = [`version  ${'name'.padEnd(width)}  state    applied at`];
  for (const s of states) {
    lines.push(
      `${String(s.version).padStart(4, '0')}     ${s.name.padEnd(width)}  ${s.state.padEnd(7)}  ${s.appliedAt ? s.appliedAt.toISOString() : '-'}`,
    );
  }
  const count = (state: MigrationState['state']) => states.filter((s) => s.state === state).length;
  const summary = [`${count('applied')} applied`, `${count('pending')} pending`];
  if (count('edited') > 0) summary.push(`${count('edited')} EDITED since applied (curta migrate and start refuse to run)`);
  if (count('unknown') > 0) summary.push(`${count('unknown')} applied by a newer Curta (no file here)`);
  lines.push(summary.join(', '));
  return lines;
}

/** Prints `curta migrate status`; exit 1 when an applied file was edited (start would refuse), else 0. */
export async function migrationStatusWith(db: Database, io: CliIo): Promise<number> {
  const states = await migrationStatus(db);
  for (const line of formatMigrationStatus(states)) io.out(line);
  return states.some((s) => s.state === 'edited') ? EXIT.failure : EXIT.ok;
}
