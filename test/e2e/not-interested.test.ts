import { startTestApp } from '../support/test-app.js';
import { notInterestedSuite } from './not-interested.suite.js';

notInterestedSuite('not interested (embedded: PGlite, in-process cache)', () => startTestApp({}, { workers: false }));
