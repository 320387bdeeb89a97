/**
 * The two databases a repository-level test runs against: embedded PGlite
 * always, and PostgreSQL on 127.0.0.1:5432 (a throwaway database of its own,
 * dropped on close) where it is running.
 */
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import type { Database } from '../../src/ports/database.js';
import { createTestDatabase, postgresAvailable } from './services.js';

export interface DatabaseProfile {
  name: string;
  /** A fresh, empty database (not migrated). */
  open(): Promise<{ db: Database; close(): Promise<void> }>;
}

export async function databaseProfiles(): Promise<DatabaseProfile[]> {
  const profiles: DatabaseProfile[] = [
    {
      name: 'PGlite',
      open: async () => {
        const db = await PgliteDatabase.open(null);
        return { db, close: () => db.close() };
      },
    },
  ];
  if (await postgresAvailable()) {
    profiles.push({
      name: 'PostgreSQL',
      open: async () => {
        const t = await createTestDatabase();
        const db = await PostgresDatabase.open(t.url, { maxConnections: 3 });
        return {
          db,
          close: async () => {
            await db.close();
            await t.drop();
          },
        };
      },
    });
  }
  return profiles;
}
