/**
 * A backup of a store holding archived originals (issue 15): they cannot be
 * read without a restore, so the backup lists them without their bytes, and a
 * restore with --force into the same store keeps them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { createBackup } from './backup.js';
import { objectEntrySchema } from './backup-format.js';
import { readManifest, restoreBackup, verifyBackup } from './restore.js';

describe('backup of archived objects', () => {
  let root: string;
  let db: PgliteDatabase;
  let store: FsObjectStore;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'curta-backup-archive-'));
    db = await PgliteDatabase.open(null);
    await migrate(db);
    store = new FsObjectStore({
      rootDir: join(root, 'store'),
      archiveDir: join(root, 'archive'),
      publicBaseUrl: 'http://x',
      signingSecret: 's'.repeat(32),
    });
    await store.put('media/v1/poster.jpg', Buffer.from('poster'), { contentType: 'image/jpeg' });
    await store.put('originals/v1', Buffer.from('original bytes'), { contentType: 'video/mp4' });
    await store.setStorageClass('originals/v1', 'ARCHIVE');
  });

  afterAll(async () => {
    await db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('lists an archived original without its bytes, verifies, and a forced restore into the same store keeps it', async () => {
    await expect(store.get('originals/v1')).rejects.toMatchObject({ code: 'object_archived' });
    const lines: string[] = [];
    const dir = join(root, 'backup');
    await createBackup(db, store, dir, { objects: 'copied', curtaVersion: 'test', say: (l) => lines.push(l) });
    expect(lines.join('\n')).toContain('1 in the archive tier listed, not copied');

    const manifest = await readManifest(dir);
    const entries = (await readFile(join(dir, manifest.objects.file), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => objectEntrySchema.parse(JSON.parse(l)));
    expect(entries.find((e) => e.key === 'originals/v1')).toMatchObject({ inArchive: true, sha256: null, storageClass: 'ARCHIVE' });
    expect(entries.find((e) => e.key === 'media/v1/poster.jpg')).toMatchObject({ storageClass: 'STANDARD' });
    expect(entries.find((e) => e.key === 'media/v1/poster.jpg')?.inArchive).toBeUndefined();
    await verifyBackup(dir, manifest);

    const said: string[] = [];
    const summary = await restoreBackup(db, store, dir, manifest, { force: true, say: (l) => said.push(l) });
    expect(summary.objects).toBe(1);
    expect(said.join('\n')).toContain('1 archived originals were not in the backup');
    expect((await store.head('originals/v1'))?.storageClass).toBe('ARCHIVE');
    expect((await store.get('media/v1/poster.jpg')).info.size).toBe(6);
  });
});
