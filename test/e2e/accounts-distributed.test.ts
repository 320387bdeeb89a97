import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { ACCOUNTS_SUITE_ENV, accountsSuite } from './accounts.suite.js';

/** The accounts suite again on PostgreSQL and Redis: real concurrent transactions and a shared cache. */
const available = (await postgresAvailable()) && (await redisAvailable());

if (available) accountsSuite('accounts (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(true, ACCOUNTS_SUITE_ENV));
