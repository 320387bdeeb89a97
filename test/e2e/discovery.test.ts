import { startTestApp } from '../support/test-app.js';
import { discoverySuite } from './discovery.suite.js';

discoverySuite('discovery (embedded: PGlite, in-process cache)', () => startTestApp({}, { workers: false }));
