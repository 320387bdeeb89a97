import { migrate } from '../../src/adapters/db/migrate.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { jobQueueContract } from './job-queue.contract.js';

jobQueueContract('DbJobQueue on PgliteDatabase', async () => {
  const db = await PgliteDatabase.open(null);
  await migrate(db);
  return { db, cleanup: () => db.close() };
});
