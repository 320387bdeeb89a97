import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Cache } from '../ports/cache.js';
import type { Database } from '../ports/database.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { ObjectStore } from '../ports/object-store.js';

/** The adapters every capability module may use, chosen once from config by the composition root. */
export interface Platform {
  config: Readonly<Config>;
  log: Logger;
  db: Database;
  store: ObjectStore;
  cache: Cache;
  queue: JobQueue;
}
