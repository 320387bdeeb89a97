import { startTestApp } from '../support/test-app.js';
import { LAKE_TEST_ENV } from './lake-ingest.suite.js';
import { lakeErasureSuite } from './lake-erasure.suite.js';

lakeErasureSuite('lake erasure (embedded: PGlite, filesystem store)', () => startTestApp(LAKE_TEST_ENV, { workers: false }));
