import { startTestApp } from '../support/test-app.js';
import { ACCOUNTS_SUITE_ENV, accountsSuite } from './accounts.suite.js';

accountsSuite('accounts (embedded: PGlite, in-process cache)', () => startTestApp(ACCOUNTS_SUITE_ENV));
