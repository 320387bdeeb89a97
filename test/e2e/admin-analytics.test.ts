import { startTestApp } from '../support/test-app.js';
import { adminAnalyticsSuite } from './admin-analytics.suite.js';

adminAnalyticsSuite('admin analytics (embedded: PGlite, fs store)', () =>
  startTestApp({ RECONCILE_INTERVAL_SEC: '0', STORAGE_SWEEP_INTERVAL_SEC: '0' }, { workers: false }),
);
