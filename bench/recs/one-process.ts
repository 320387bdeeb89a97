/**
 * Per-request CPU of the For You feed against the recency feed in one process, without load: a kept bench database
 * (`KEEP_DATABASE=1 npm run bench:recs` prints REUSE_DATABASE and REUSE_DATA_DIR), requests through Fastify's inject,
 * each as the next viewer; process CPU time (this process: the API's part, not PostgreSQL's) divided by requests.
 *
 *   REUSE_DATABASE=… REUSE_DATA_DIR=… npx tsx bench/recs/one-process.ts [requests]
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createApp } from '../../src/app.js';
import { seededRng } from '../../src/lib/seeded-rng.js';
import type { CatalogSnapshot } from '../../src/modules/recs/catalog.js';
import { DEFAULT_FOR_YOU_OPTIONS, ForYouService } from '../../src/modules/recs/for-you.service.js';
import type { LoadedModel } from '../../src/modules/recs/model-store.js';
import { viewerKeyOf, type CatalogVideo, type ViewerKey } from '../../src/modules/recs/recs.repository.js';
import { loadConfig } from '../../src/config/config.js';
import { claimRedisDatabase } from '../../test/support/cluster.js';

const url = process.env['REUSE_DATABASE'];
const dir = process.env['REUSE_DATA_DIR'];
if (!url || !dir) throw new Error('REUSE_DATABASE and REUSE_DATA_DIR are required');
const N = Number(process.argv[2] ?? 2000);
const VIEWERS = 10_000;
const pad = (n: number, w: number) => String(n).padStart(w, '0');
// RANK_OUT: the clock stands still at FIXED_NOW (ms), so two versions rank the same pool (trial windows, seen windows).
if (process.env['RANK_OUT'] && process.env['FIXED_NOW']) {
  const fixed = Number(process.env['FIXED_NOW']);
  Date.now = () => fixed;
}
const redis = await claimRedisDatabase();
const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  CURTA_DATA_DIR: dir,
  DATABASE_URL: url,
  CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'),
  REDIS_URL: redis.url,
});
const app = await createApp(config);
let n = 0;
const headersOf = () => {
  const v = (n++ * 7919) % VIEWERS;
  return v < VIEWERS / 2 ? { authorization: `Bearer bench-token-${pad(v, 8)}` } : { 'x-device-id': `bench-device-${pad(v, 8)}` };
};
const run = async (label: string, path: string, count: number) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const r = await app.http.inject({ method: 'GET', url: path, headers: headersOf() });
    if (r.statusCode !== 200) throw new Error(`${path}: ${r.statusCode} ${r.body.slice(0, 200)}`);
  }
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000 / count;
  console.log(
    `${label.padEnd(12)} ${count} requests: CPU ${ms.toFixed(2)} ms/request (user ${(c.user / 1000 / count).toFixed(2)}, system ${(c.system / 1000 / count).toFixed(2)}), wall ${((performance.now() - t0) / count).toFixed(2)} ms/request`,
  );
  return ms;
};
const rankOnly = process.env['RANK_OUT'] !== undefined;
if (!rankOnly) {
  await run('warm-up fy', '/api/v1/feed/for-you?limit=10', 300);
  await run('warm-up feed', '/api/v1/feed?limit=10', 300);
  const fy = await run('for-you', '/api/v1/feed/for-you?limit=10', N);
  const feed = await run('feed', '/api/v1/feed?limit=10', N);
  console.log(`ratio ${(fy / feed).toFixed(2)}×`);
}

// The ranking alone (no I/O): each viewer's context read first, then rank() timed; with RANK_OUT=<file>, every
// viewer's ranked ids (a seeded random source per viewer) are written there, to compare two versions' rankings.
{
  const recs = app.services.recs;
  const svc = new ForYouService(recs.repo, recs.catalog, recs.models, null as never, null as never, {
    ...DEFAULT_FOR_YOU_OPTIONS,
    exploreShare: config.recs.exploreShare,
    exploreTopicWeight: config.recs.exploreTopicWeight,
  });
  // Private members, reached for measurement only.
  const inner = svc as unknown as {
    viewerContext(v: ViewerKey, key: string | null, c: Promise<CatalogSnapshot>, now: number): Promise<unknown>;
    rank(
      c: CatalogSnapshot,
      m: LoadedModel | null,
      ctx: unknown,
      eligible: (v: CatalogVideo | undefined) => boolean,
      n: number,
      rng?: () => number,
    ): string[];
  };
  const catalog = await recs.catalog.get();
  const model = await recs.models.get();
  const now = Date.now();
  const contexts: Array<{
    key: string;
    ctx: {
      history: Array<{ videoId: string; lastAt: number }>;
      userId: string | null;
      blocked: ReadonlySet<string>;
      notInterested: Array<{ videoId: string }>;
    };
  }> = [];
  for (let i = 0; i < Math.min(N, 2000); i++) {
    const v = (i * 7919) % VIEWERS;
    const viewer: ViewerKey =
      v < VIEWERS / 2 ? { userId: `bviewer${pad(v, 6)}`, deviceId: null } : { userId: null, deviceId: `bench-device-${pad(v, 8)}` };
    const key = viewerKeyOf(viewer)!;
    contexts.push({ key, ctx: (await inner.viewerContext(viewer, key, Promise.resolve(catalog), now)) as never });
  }
  const out: Record<string, string[]> = {};
  const rankAll = (rounds: number) => {
    for (let r = 0; r < rounds; r++)
      for (const { key, ctx } of contexts) {
        const excluded = new Set<string>();
        for (const p of ctx.history) if (now - p.lastAt < DEFAULT_FOR_YOU_OPTIONS.seenWindowMs) excluded.add(p.videoId);
        for (const m of ctx.notInterested) excluded.add(m.videoId);
        const eligible = (v: CatalogVideo | undefined): v is CatalogVideo =>
          v !== undefined && !excluded.has(v.id) && v.ownerId !== ctx.userId && !ctx.blocked.has(v.ownerId);
        (svc as unknown as { rng: () => number }).rng = seededRng(key.length * 7 + key.charCodeAt(key.length - 1));
        out[key] = inner.rank(catalog, model, ctx, eligible, 30);
      }
  };
  // Until every graph row the viewers need is cut (TASTE.newRowsPerRequest): then each ranking depends on its viewer only.
  rankAll(rankOnly ? 4 : 1);
  const c0 = process.cpuUsage();
  rankAll(3);
  const c = process.cpuUsage(c0);
  console.log(
    `rank() alone: CPU ${((c.user + c.system) / 1000 / (3 * contexts.length)).toFixed(3)} ms/request (${contexts.length} viewers × 3)`,
  );
  if (process.env['RANK_OUT']) writeFileSync(process.env['RANK_OUT'], JSON.stringify(out));
}
await app.close();
await redis.release();
