import { describe, expect, it } from 'vitest';
import { MigrationError } from '../adapters/db/migrate.js';
import { DatabaseInUseError } from '../adapters/db/pglite-database.js';
import { BackupError } from '../modules/backup/backup-format.js';
import { CliFailure, EXIT } from './command.js';
import { asCliFailure } from './expected-errors.js';

const errno = (code: string, message = `connect ${code} 127.0.0.1:1`) => Object.assign(new Error(message), { code });

describe('asCliFailure', () => {
  it('turns what an operator fixes into one message and an exit status', () => {
    expect(asCliFailure(new DatabaseInUseError('in use by process 7', '/d/db', 7))).toMatchObject({ exitCode: EXIT.unavailable });
    expect(asCliFailure(new MigrationError('Applied migration 0002_x.sql changed'))).toMatchObject({
      message: 'Applied migration 0002_x.sql changed',
      exitCode: EXIT.software,
    });
    expect(asCliFailure(new BackupError('damaged', 65))).toMatchObject({ message: 'damaged', exitCode: 65 });
    expect(asCliFailure(errno('ECONNREFUSED'))).toMatchObject({
      message: 'cannot connect (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1',
      exitCode: EXIT.unavailable,
    });
    // node-postgres tries IPv4 and IPv6: an AggregateError of both.
    expect(asCliFailure(new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], ''))?.message).toMatch(
      /^cannot connect \(ECONNREFUSED\)/,
    );
    expect(asCliFailure(new Error('wrapped', { cause: errno('ENOTFOUND') }))?.message).toMatch(/^cannot connect \(ENOTFOUND\): wrapped/);
    expect(asCliFailure(errno('28P01', 'password authentication failed for user "x"'))?.message).toBe(
      'the database refused the connection: password authentication failed for user "x"',
    );
    expect(asCliFailure(errno('3D000', 'database "nope" does not exist'))?.exitCode).toBe(EXIT.unavailable);
    const own = new CliFailure('as is', 3);
    expect(asCliFailure(own)).toBe(own);
  });

  it('leaves bugs alone, so they keep their stack', () => {
    expect(asCliFailure(new TypeError('x is undefined'))).toBeNull();
    expect(asCliFailure(errno('42P01', 'relation "users" does not exist'))).toBeNull();
    expect(asCliFailure('a string')).toBeNull();
  });
});
