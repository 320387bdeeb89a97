import { startTestApp } from '../support/test-app.js';
import { NOT_INTERESTED_ENV, notInterestedSuite } from './not-interested.suite.js';

notInterestedSuite('not interested (embedded: PGlite, in-process cache)', () => startTestApp(NOT_INTERESTED_ENV, { workers: false }));
