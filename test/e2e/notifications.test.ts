import { startTestApp } from '../support/test-app.js';
import { notificationsSuite } from './notifications.suite.js';

notificationsSuite('notifications (embedded: PGlite, in-process cache)', () => startTestApp());
