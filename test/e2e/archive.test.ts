import { startTestApp } from '../support/test-app.js';
import { ARCHIVE_TEST_ENV, archiveSuite } from './archive.suite.js';

/** The cold archive on the embedded profile: the filesystem store's cold folder (a 2 s restore), PGlite, in-process workers. */
archiveSuite('cold archive (embedded: fs store, PGlite)', () => startTestApp(ARCHIVE_TEST_ENV));
