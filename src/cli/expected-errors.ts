import { MigrationError } from '../adapters/db/migrate.js';
import { DatabaseInUseError } from '../adapters/db/pglite-database.js';
import { BackupError } from '../modules/backup/backup-format.js';
import { CliFailure, EXIT } from './command.js';

/** Socket-level errors that mean "nothing answers there": a server down, a wrong host, a network problem. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function networkCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (typeof e?.code === 'string' && UNREACHABLE.has(e.code)) return e.code;
  // AggregateError: one attempt per address (IPv4 and IPv6).
  if (Array.isArray(e?.errors)) for (const inner of e.errors) if (networkCode(inner)) return networkCode(inner);
  if (e?.cause && e.cause !== err) return networkCode(e.cause);
  return undefined;
}

/** A PostgreSQL server that answered but refused us: bad password (class 28), no such database (3D000), shutting down (57P0x). */
function refusedByServer(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(28...|3D000|57P0[1-3]|08...)$/.test(code);
}

/**
 * Failures the environment causes and an operator fixes (a database another
 * process holds, a server that does not answer, an edited migration), as a
 * CliFailure: one line, an exit status, no stack. Anything else is a bug and
 * keeps its stack (returns null).
 */
export function asCliFailure(err: unknown): CliFailure | null {
  if (err instanceof CliFailure) return err;
  if (err instanceof DatabaseInUseError) return new CliFailure(err.message, EXIT.unavailable);
  if (err instanceof MigrationError) return new CliFailure(err.message, EXIT.software);
  if (err instanceof BackupError) return new CliFailure(err.message, err.exitCode);
  const message = err instanceof Error ? err.message : String(err);
  const code = networkCode(err);
  if (code) return new CliFailure(`cannot connect (${code}): ${message || 'no answer'}`, EXIT.unavailable);
  if (refusedByServer(err)) return new CliFailure(`the database refused the connection: ${message}`, EXIT.unavailable);
  return null;
}
