import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/lib/ids.js';
import { clusterAvailable, signup, startCluster, type Cluster } from '../support/cluster.js';

/**
 * Scheduled publishing across processes (issue 13): two `curta serve` and one
 * `curta worker` on PostgreSQL and Redis. The video is scheduled through one
 * API process; the other has cached its (anonymous) feed page after the
 * schedule was saved — a page it would otherwise keep for a minute. At the
 * publish time the worker's `video.publish` job bumps the shared feed
 * generation, so the second process lists the video within seconds, and its
 * direct link answers there too. No timing assertion beyond "well before the
 * caches would have expired by themselves".
 */

const available = await clusterAvailable('scheduled publishing cluster test');
const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

describe.skipIf(!available)('scheduled publishing across 2 API processes and a worker', () => {
  let c: Cluster;

  beforeAll(async () => {
    c = await startCluster({ apis: 2, workers: 1 });
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
  });

  it('a video scheduled on one process shows in the other’s cached feed soon after its time', async () => {
    const [a, b] = c.apiUrls as [string, string];
    const username = `sched_${Date.now().toString(36)}`;
    const token = await signup(a, username);
    const [me] = await c.sql<{ id: string }>('SELECT id FROM users WHERE username = $1', [username]);
    // A processed draft (as if processing had finished), straight into the shared database.
    const id = randomId();
    await c.sql(
      `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename, content_type, declared_size,
                           upload_expires_at, media_prefix, duration_ms, width, height, playback, ready_at, publish_at)
       VALUES ($1, $2, 'ready', 'on time', 'public', $3, 'seed.mp4', 'video/mp4', 1000, now() + interval '1 hour',
               $4, 5000, 360, 640, $5, now(), NULL)`,
      [id, me!.id, `originals/${id}`, `media/${id}/seed`, JSON.stringify({ hls: 'master.m3u8', mp4: 'video.mp4', poster: 'poster.jpg' })],
    );
    const feedIds = async (base: string) =>
      ((await (await fetch(`${base}/api/v1/feed?limit=50`)).json()) as { items: Array<{ id: string }> }).items.map((v) => v.id);

    const publishAt = new Date(Date.now() + 3000).toISOString();
    const r = await fetch(`${a}/api/v1/videos/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ publishAt }),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { publication: string }).publication).toBe('scheduled');
    // Both processes answer (and cache) a feed without it, and a 404 for it, before its time.
    const early = await Promise.all([feedIds(a), feedIds(b), fetch(`${b}/api/v1/videos/${id}`)]);
    if (Date.now() < Date.parse(publishAt)) {
      expect(early[0]).not.toContain(id);
      expect(early[1]).not.toContain(id);
      expect(early[2].status).toBe(404);
    }

    // Then it shows on the other process: well within the minute its cached page would otherwise live.
    const deadline = Date.parse(publishAt) + 20_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      seen = (await feedIds(b)).includes(id);
      if (!seen) await sleep(250);
    }
    expect(seen).toBe(true);
    expect((await fetch(`${b}/api/v1/videos/${id}`)).status).toBe(200);
    expect(await feedIds(a)).toContain(id);
    // The worker ran the publish job once, for that time.
    const jobs = await c.sql<{ status: string }>(`SELECT status FROM jobs WHERE queue = 'video.publish' AND payload->>'videoId' = $1`, [
      id,
    ]);
    expect(jobs.map((j) => j.status)).toEqual(['done']);
  }, 120_000);
});
