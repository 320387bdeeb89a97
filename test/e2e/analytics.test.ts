import { startTestApp } from '../support/test-app.js';
import { analyticsSuite } from './analytics.suite.js';

analyticsSuite('creator analytics (embedded: PGlite, filesystem store, in-process cache)', () => startTestApp({}, { workers: false }));
