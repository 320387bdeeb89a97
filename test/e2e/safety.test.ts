import { startTestApp } from '../support/test-app.js';
import { safetySuite } from './safety.suite.js';

safetySuite('safety (embedded: PGlite, in-process cache)', () => startTestApp({}, { workers: false }));
