import { describe, expect, it } from 'vitest';
import { staleApiClientFiles } from '../../scripts/api-client.js';

/**
 * The web app's typed client (and the published document) come from the
 * routes the server registers: a route changed without `npm run gen:api`
 * leaves them behind, and this test names the files to regenerate.
 */
describe('generated API client', () => {
  it('matches the routes the server registers (run `npm run gen:api` when this fails)', async () => {
    expect(await staleApiClientFiles()).toEqual([]);
  });

  it('is what the web app calls the API with', async () => {
    const { readFile } = await import('node:fs/promises');
    const api = await readFile(new URL('../../web/src/api.ts', import.meta.url), 'utf8');
    expect(api).toContain("from './api/client.js'");
    // No hand-written request URLs outside the typed client.
    expect(api).not.toMatch(/fetch\(\s*['`]\/api\//);
  });
});
