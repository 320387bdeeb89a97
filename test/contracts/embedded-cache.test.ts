import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { cacheContract } from './cache.contract.js';

cacheContract('MemoryCache', async () => {
  const cache = new MemoryCache({ maxEntries: 1000 });
  return { cache, cleanup: () => cache.close() };
});
