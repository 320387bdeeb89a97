import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterAvailable, signup, startCluster, uploadVideo, type Cluster } from '../support/cluster.js';
import { makeClip } from '../support/media.js';
import { apiClient } from '../support/test-app.js';

/**
 * CDN semantics, proven with a real caching proxy: two `curta serve`
 * processes and a worker behind nginx running docs/nginx.conf. What Curta
 * marks cacheable is served from nginx's cache on the second request; what
 * depends on who asks never is, and private renditions travel only on
 * signed, expiring URLs the proxy does not keep. Withdrawn access stops media
 * within seconds: the proxy revalidates public media with Curta, and signed
 * URLs stop on every API process.
 */

const available = await clusterAvailable('CDN test');

interface Fetched {
  status: number;
  cache: string | null;
  headers: Headers;
  bytes: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const res = await fetch(url, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, cache: res.headers.get('x-cache-status'), headers: res.headers, bytes };
}

/** Browsers keep versioned renditions a year; shared caches revalidate them after MEDIA_SHARED_MAX_AGE_SEC (default 5). */
const IMMUTABLE_MEDIA = 'public, max-age=31536000, s-maxage=5, immutable';
/** How long a withdrawal may take to show through the proxy or on another process: generous, not a timing claim. */
const REVOCATION_DEADLINE_MS = 30_000;

/** Polls `probe` every `everyMs` until it returns a value, at most REVOCATION_DEADLINE_MS; returns the last value either way. */
async function pollFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, everyMs = 250): Promise<T> {
  const deadline = Date.now() + REVOCATION_DEADLINE_MS;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, everyMs));
    value = await probe();
  }
  return value;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const json = (f: Fetched) => JSON.parse(f.bytes.toString('utf8'));

describe.skipIf(!available)('CDN semantics through nginx (2 API processes, 1 worker)', () => {
  let c: Cluster;
  let api: ReturnType<typeof apiClient>;
  let scratch: string;
  let clip: Buffer;
  let alice: string;
  let bob: string;
  let videoId: string;
  let playback: { hls: string; mp4: string; poster: string };
  /** What anonymous viewers got while the video was still processing. */
  const anonymousWhileProcessing: Fetched[] = [];
  // A URL of its own, so that the other tests start with a cold cache entry for the plain one.
  const anonymousPollUrl = () => `${c.url}/api/v1/videos/${videoId}?from=anonymous-poll`;

  beforeAll(async () => {
    c = await startCluster({ apis: 2, workers: 1 });
    api = apiClient(c.url);
    scratch = await mkdtemp(join(tmpdir(), 'curta-cdn-'));
    const clipPath = join(scratch, 'clip.mp4');
    await makeClip(clipPath, { seconds: 3 });
    clip = await readFile(clipPath);
    alice = await signup(c.url, 'alice');
    bob = await signup(c.url, 'bob');

    videoId = await uploadVideo(c.url, alice, clip, 'through the proxy');
    // The owner polls (never cached); an anonymous viewer asks too, and must not get a 404 stuck in the cache.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const owner = await api('GET', `/api/v1/videos/${videoId}`, { token: alice });
      if (owner.status === 200 && owner.body.status === 'ready') {
        playback = owner.body.playback;
        break;
      }
      if (owner.body?.status === 'failed' || Date.now() > deadline) throw new Error(`video not ready: ${JSON.stringify(owner.body)}`);
      anonymousWhileProcessing.push(await get(anonymousPollUrl()));
      await new Promise((res) => setTimeout(res, 150));
    }
  }, 240_000);

  afterAll(async () => {
    await c?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('hands out playback URLs on the proxy, whichever API process answers', async () => {
    expect(playback.hls.startsWith(`${c.url}/media/`)).toBe(true);
    expect(playback.mp4.startsWith(`${c.url}/media/`)).toBe(true);
    expect(playback.poster.startsWith(`${c.url}/media/`)).toBe(true);
    // Both upstreams answered some of the requests so far (round robin).
    const log = await readFile(join(c.nginx.dir, 'access.log'), 'utf8');
    const upstreams = new Set([...log.matchAll(/upstream=(127\.0\.0\.1:\d+)/g)].map((m) => m[1]));
    expect(upstreams.size).toBe(2);
  });

  it('serves playlists, init and media segments, the MP4 and the poster from its cache on the second request', async () => {
    const master = [await get(playback.hls), await get(playback.hls)];
    const masterText = master[0]!.bytes.toString('utf8');
    const variant = masterText.split('\n').find((l) => l && !l.startsWith('#'))!;
    const mediaUrl = new URL(variant.trim(), playback.hls).toString();
    const media = [await get(mediaUrl), await get(mediaUrl)];
    const mediaText = media[0]!.bytes.toString('utf8');
    const initUri = /#EXT-X-MAP:.*URI="([^"]+)"/.exec(mediaText)?.[1];
    expect(initUri).toBeDefined();
    const segment = mediaText
      .split('\n')
      .find((l) => l && !l.startsWith('#'))!
      .trim();
    const initUrl = new URL(initUri!, mediaUrl).toString();
    const segmentUrl = new URL(segment, mediaUrl).toString();

    const pairs: Array<[string, Fetched[]]> = [
      ['master playlist', master],
      ['media playlist', media],
      ['init segment', [await get(initUrl), await get(initUrl)]],
      ['media segment', [await get(segmentUrl), await get(segmentUrl)]],
      ['mp4', [await get(playback.mp4), await get(playback.mp4)]],
      ['poster', [await get(playback.poster), await get(playback.poster)]],
    ];
    for (const [what, [first, second]] of pairs) {
      expect({ what, status: first!.status, cache: first!.cache }).toEqual({ what, status: 200, cache: 'MISS' });
      expect({ what, status: second!.status, cache: second!.cache }).toEqual({ what, status: 200, cache: 'HIT' });
      // Finished renditions are versioned, so browsers may keep them forever; shared caches revalidate every 5 s.
      expect({ what, cc: second!.headers.get('cache-control') }).toEqual({ what, cc: IMMUTABLE_MEDIA });
      expect(sha(second!.bytes)).toBe(sha(first!.bytes));
      expect(first!.bytes.length).toBeGreaterThan(0);
    }
  });

  it('caches public metadata for anonymous viewers briefly: the video and the feed', async () => {
    const url = `${c.url}/api/v1/videos/${videoId}`;
    const [first, second] = [await get(url), await get(url)];
    expect([first.status, first.cache, second.status, second.cache]).toEqual([200, 'MISS', 200, 'HIT']);
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
    expect(first.headers.get('vary')).toBe('Authorization');
    expect(json(second)).toEqual(json(first));
    expect(json(first).status).toBe('ready');

    const feedUrl = `${c.url}/api/v1/feed?limit=5`;
    const [feed1, feed2] = [await get(feedUrl), await get(feedUrl)];
    expect([feed1.status, feed1.cache, feed2.status, feed2.cache]).toEqual([200, 'MISS', 200, 'HIT']);
    expect(feed1.headers.get('cache-control')).toBe('public, max-age=5');
    expect(json(feed2).items.map((v: { id: string }) => v.id)).toEqual([videoId]);
  });

  it('never caches a not-found: anonymous viewers saw 404s while processing, then the video', async () => {
    const notFound = anonymousWhileProcessing.filter((f) => f.status === 404);
    expect(notFound.length).toBeGreaterThan(0);
    for (const f of notFound) {
      expect(f.cache).toBe('MISS');
      expect(f.headers.get('cache-control')).toBe('no-store');
    }
    // Now that it is ready, the same URL shows it: no 404 was kept.
    expect((await get(anonymousPollUrl())).status).toBe(200);
    const missing = `${c.url}/api/v1/videos/doesnotexist123`;
    for (let i = 0; i < 3; i++) {
      const f = await get(missing);
      expect([f.status, f.cache, f.headers.get('cache-control')]).toEqual([404, 'MISS', 'no-store']);
    }
  });

  it('never serves or stores per-user answers, nor anything asked with credentials', async () => {
    // The anonymous copy is in the cache now; a signed-in request still goes to the origin.
    expect((await get(`${c.url}/api/v1/videos/${videoId}`)).cache).toBe('HIT');
    for (let round = 0; round < 2; round++) {
      for (const [token, username] of [
        [alice, 'alice'],
        [bob, 'bob'],
      ] as const) {
        const me = await get(`${c.url}/api/v1/me`, { authorization: `Bearer ${token}` });
        expect([me.status, me.cache, me.headers.get('cache-control')]).toEqual([200, 'BYPASS', 'private, no-store']);
        expect(json(me).user.username).toBe(username);

        const video = await get(`${c.url}/api/v1/videos/${videoId}`, { authorization: `Bearer ${token}` });
        expect([video.status, video.cache, video.headers.get('cache-control')]).toEqual([200, 'BYPASS', 'private, no-store']);

        const feed = await get(`${c.url}/api/v1/feed?limit=5`, { authorization: `Bearer ${token}` });
        expect([feed.status, feed.cache, feed.headers.get('cache-control')]).toEqual([200, 'BYPASS', 'private, no-store']);

        // Even immutable media is fetched afresh for a credentialed request (and not stored from it).
        const poster = await get(playback.poster, { authorization: `Bearer ${token}` });
        expect([poster.status, poster.cache]).toEqual([200, 'BYPASS']);
      }
    }
    // Per-user answers without credentials (a dead session, no session) are errors: never stored.
    for (let i = 0; i < 2; i++) {
      const anonymousMe = await get(`${c.url}/api/v1/me`);
      expect([anonymousMe.status, anonymousMe.cache, anonymousMe.headers.get('cache-control')]).toEqual([401, 'MISS', 'no-store']);
      const deadSession = await get(`${c.url}/api/v1/me`, { authorization: 'Bearer not-a-real-token' });
      expect([deadSession.status, deadSession.cache, deadSession.headers.get('cache-control')]).toEqual([401, 'BYPASS', 'no-store']);
    }
    // A write never even consults the cache (only GET and HEAD do), so nginx reports no cache status.
    const upload = await fetch(`${c.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'x.mp4', contentType: 'video/mp4', size: 1000 }),
    });
    await upload.arrayBuffer();
    expect([upload.status, upload.headers.get('x-cache-status'), upload.headers.get('cache-control')]).toEqual([
      201,
      null,
      'private, no-store',
    ]);
  });

  it('answers Range requests from the cache, and a first Range request fills it', async () => {
    const full = await get(playback.mp4);
    // From the cache either way (revalidated with a 304 when its 5 s had passed).
    expect(full.cache).toBeOneOf(['HIT', 'REVALIDATED']);
    const size = full.bytes.length;
    const etag = full.headers.get('etag')!;

    const middle = await get(playback.mp4, { range: 'bytes=100-1099' });
    expect([middle.status, middle.cache, middle.headers.get('content-range')]).toEqual([206, 'HIT', `bytes 100-1099/${size}`]);
    expect(sha(middle.bytes)).toBe(sha(full.bytes.subarray(100, 1100)));

    const tail = await get(playback.mp4, { range: 'bytes=-500' });
    expect([tail.status, tail.headers.get('content-range')]).toEqual([206, `bytes ${size - 500}-${size - 1}/${size}`]);
    expect(sha(tail.bytes)).toBe(sha(full.bytes.subarray(size - 500)));

    const beyond = await get(playback.mp4, { range: `bytes=${size + 10}-` });
    expect(beyond.status).toBe(416);

    const revalidated = await get(playback.mp4, { 'if-none-match': etag });
    expect([revalidated.status, revalidated.cache]).toEqual([304, 'HIT']);

    // An object nobody fetched yet: the Range request is answered from the whole object nginx fetches and keeps.
    const mediaText = (await get(playback.hls)).bytes.toString('utf8');
    const variant = mediaText.split('\n').find((l) => l && !l.startsWith('#'))!;
    const mediaUrl = new URL(variant.trim(), playback.hls).toString();
    const segments = (await get(mediaUrl)).bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((s) => new URL(s.trim(), mediaUrl).toString());
    const fresh = segments.at(-1)!;
    expect(segments.length).toBeGreaterThan(1); // the first one was fetched above; the last one was not
    const head = await get(fresh, { range: 'bytes=0-99' });
    expect([head.status, head.cache, head.bytes.length]).toEqual([206, 'MISS', 100]);
    const whole = await get(fresh);
    expect([whole.status, whole.cache]).toEqual([200, 'HIT']);
    expect(sha(head.bytes)).toBe(sha(whole.bytes.subarray(0, 100)));
    expect(head.headers.get('content-range')).toBe(`bytes 0-99/${whole.bytes.length}`);
  });

  it('keeps private renditions out of the shared cache: signed, expiring URLs only', async () => {
    const id = await uploadVideo(c.url, alice, clip, 'just for me', { visibility: 'private' });
    const deadline = Date.now() + 120_000;
    let owner: any;
    do {
      await new Promise((res) => setTimeout(res, 200));
      owner = (await api('GET', `/api/v1/videos/${id}`, { token: alice })).body;
      if (owner?.status === 'failed' || Date.now() > deadline) throw new Error(`private video not ready: ${JSON.stringify(owner)}`);
    } while (owner?.status !== 'ready');
    expect(owner.playback.hls).toMatch(new RegExp(`^${c.url}/media/s/\\d+/[^/]+/[^/]+/${id}/`));

    // Neither the metadata nor the renditions are kept by the proxy, however often they are asked for.
    for (const [what, url] of [
      ['master playlist', owner.playback.hls],
      ['mp4', owner.playback.mp4],
      ['poster', owner.playback.poster],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const f = await get(url);
        expect({ what, status: f.status, cache: f.cache }).toEqual({ what, status: 200, cache: 'MISS' });
        expect(f.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
      }
    }
    // Relative URIs in the playlists inherit the signature.
    const master = (await get(owner.playback.hls)).bytes.toString('utf8');
    const variant = new URL(
      master
        .split('\n')
        .find((l) => l && !l.startsWith('#'))!
        .trim(),
      owner.playback.hls,
    ).toString();
    const media = await get(variant);
    expect([media.status, media.cache]).toEqual([200, 'MISS']);
    const segment = media.bytes
      .toString('utf8')
      .split('\n')
      .find((l) => l && !l.startsWith('#'))!
      .trim();
    const seg = await get(new URL(segment, variant).toString());
    expect([seg.status, seg.cache]).toEqual([200, 'MISS']);

    // Without the signature, or with a forged one, there is nothing to get — and nothing cached.
    const plain = owner.playback.hls.replace(/\/media\/s\/\d+\/[^/]+\/[^/]+\//, '/media/');
    const forged = owner.playback.hls.replace(/(\/media\/s\/\d+\/)[^/]+\//, '$1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/');
    for (let i = 0; i < 2; i++) {
      const p = await get(plain);
      expect([p.status, p.cache, p.headers.get('cache-control')]).toEqual([404, 'MISS', 'no-store']);
      const f = await get(forged);
      expect([f.status, f.cache, f.headers.get('cache-control')]).toEqual([403, 'MISS', 'no-store']);
    }
    // The video itself is invisible to others, signed in or not.
    expect((await get(`${c.url}/api/v1/videos/${id}`)).status).toBe(404);
    expect((await get(`${c.url}/api/v1/videos/${id}`, { authorization: `Bearer ${bob}` })).status).toBe(404);
  });

  it('streams Server-Sent Events through the proxy', async () => {
    const res = await fetch(`${c.url}/api/v1/videos/${videoId}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text(); // ready → one status event, then the stream closes
    expect(JSON.parse(/data: (.*)\n/.exec(text)![1]!).status).toBe('ready');
  });

  it('revalidates public media with Curta every few seconds: 304s while it stays public, 404 soon after it is made private', async () => {
    const urls = [playback.poster, playback.mp4, playback.hls];
    for (const url of urls) {
      const f = await get(url);
      expect([f.status, f.headers.get('cache-control')]).toEqual([200, IMMUTABLE_MEDIA]);
    }
    // Once its s-maxage has passed, the proxy asks Curta again (If-None-Match) and keeps its bytes on the 304.
    const cachedBytes = (await get(playback.mp4)).bytes;
    const revalidated = await pollFor(
      () => get(playback.mp4),
      (f) => f.cache === 'REVALIDATED',
    );
    expect([revalidated.status, revalidated.cache]).toEqual([200, 'REVALIDATED']);
    expect(sha(revalidated.bytes)).toBe(sha(cachedBytes));

    // The owner makes it private (through one API process); the proxy stops serving every object soon after.
    const patched = await fetch(`${c.apiUrls[0]}/api/v1/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'private' }),
    });
    expect(patched.status).toBe(200);
    for (const url of urls) {
      const gone = await pollFor(
        () => get(url),
        (f) => f.status !== 200,
      );
      expect({ url, status: gone.status, cc: gone.headers.get('cache-control') }).toEqual({ url, status: 404, cc: 'no-store' });
      // And it stays gone: the 404 is not cached, the stale copy is not served.
      const again = await get(url);
      expect({ url, status: again.status }).toEqual({ url, status: 404 });
    }
  });

  it('stops a follower’s signed URLs on the other API process within seconds of a block made through one', async () => {
    const bobId = (await api('GET', '/api/v1/me', { token: bob })).body.user.id as string;
    expect((await api('PUT', '/api/v1/users/alice/follow', { token: bob })).status).toBe(200);
    const patched = await fetch(`${c.apiUrls[0]}/api/v1/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'followers' }),
    });
    expect(patched.status).toBe(200);
    // Bob's URLs, asked of process B and fetched from it (and through the proxy, which does not keep them).
    const video = await fetch(`${c.apiUrls[1]}/api/v1/videos/${videoId}`, { headers: { authorization: `Bearer ${bob}` } });
    expect(video.status).toBe(200);
    const poster: string = ((await video.json()) as { playback: { poster: string } }).playback.poster;
    expect(poster).toContain(`/media/s/`);
    expect(poster).toContain(`/${bobId}/${videoId}/`);
    const onB = poster.replace(c.url, c.apiUrls[1]!);
    expect((await get(onB)).status).toBe(200);
    expect((await get(poster)).status).toBe(200);

    // Alice blocks Bob through process A: process B stops answering his URL within seconds.
    const block = await fetch(`${c.apiUrls[0]}/api/v1/users/bob/block`, { method: 'PUT', headers: { authorization: `Bearer ${alice}` } });
    expect(block.status).toBe(200);
    const gone = await pollFor(
      () => get(onB),
      (f) => f.status !== 200,
    );
    expect(gone.status).toBe(404);
    expect((await get(poster)).status).toBe(404);
  });
});
