import { describe, it } from 'vitest';
import { migrate } from '../../src/adapters/db/migrate.js';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import { createTestDatabase, postgresAvailable } from '../support/services.js';
import { jobQueueContract } from './job-queue.contract.js';

if (await postgresAvailable()) {
  jobQueueContract('DbJobQueue on PostgresDatabase', async () => {
    const { url, drop } = await createTestDatabase();
    const db = await PostgresDatabase.open(url, { maxConnections: 8 });
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      await drop();
      throw err;
    }
    return {
      db,
      cleanup: async () => {
        await db.close();
        await drop();
      },
    };
  });
} else {
  describe.skip('JobQueue contract: DbJobQueue on PostgresDatabase (no PostgreSQL server)', () => {
    it('needs PostgreSQL', () => undefined);
  });
}
