import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { databaseContract } from './database.contract.js';

databaseContract('PgliteDatabase (in memory)', async () => {
  const db = await PgliteDatabase.open(null);
  return { db, cleanup: () => db.close() };
});
