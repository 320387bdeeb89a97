import { startTestApp } from '../support/test-app.js';
import { socialSuite } from './social.suite.js';

socialSuite('social (embedded: PGlite, in-process cache)', () => startTestApp());
