import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleApiClientFiles } from '../../scripts/api-client.js';
import { projectRoot } from '../../src/lib/project-root.js';

/**
 * The web app's typed client (and the published document) come from the
 * routes the server registers: a route changed without `npm run gen:api`
 * leaves them behind, and this test names the files to regenerate.
 */
describe('generated API client', () => {
  it('matches the routes the server registers (run `npm run gen:api` when this fails)', async () => {
    expect(await staleApiClientFiles()).toEqual([]);
  });

  it('is the only way the web app reaches the API: no hand-written fetch of an /api/ URL anywhere in web/src', async () => {
    const dir = join(projectRoot(), 'web', 'src');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.gen.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const f of files) {
      const text = await readFile(join(dir, f), 'utf8');
      if (/fetch\(\s*[`'"][^`'"]*\/api\//.test(text)) offenders.push(f);
    }
    expect(offenders).toEqual([]);
  });
});
