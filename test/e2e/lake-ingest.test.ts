import { startTestApp } from '../support/test-app.js';
import { LAKE_TEST_ENV, lakeIngestSuite } from './lake-ingest.suite.js';

lakeIngestSuite('lake ingest (embedded: PGlite, filesystem store)', () => startTestApp(LAKE_TEST_ENV, { workers: true }));
