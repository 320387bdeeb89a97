import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { BoundedSemaphore } from '../../lib/bounded-semaphore.js';
import type { RenditionOutput } from '../../ports/transcoder.js';
import { CoverFrames } from './cover-frame.js';

/**
 * Which stored segment a cover is cut from, and at what offset inside it: a
 * real filesystem store holding a rung's playlist, a transcoder that records
 * what it was asked for (ffmpeg itself runs in test/e2e/video-edit.suite.ts).
 */
describe('CoverFrames', () => {
  let root: string;
  let store: FsObjectStore;
  let asked: Array<{ rendition: RenditionOutput; atSec: number; segment: string; init: string }>;
  const best = { name: '720p', width: 720, height: 1280, bandwidth: 1, averageBandwidth: 1, codecs: 'avc1', bytes: 1 };
  const prefix = 'media/vid1/rev1';

  const covers = (slots = new BoundedSemaphore({ permits: 1, maxWaiting: 0, maxWaitMs: 10 })) =>
    new CoverFrames({
      store,
      workDir: join(root, 'work'),
      slots,
      transcoder: {
        makePoster: async (rendition, atSec, outPath) => {
          const { writeFile } = await import('node:fs/promises');
          asked.push({
            rendition,
            atSec,
            segment: await readFile(join(rendition.dir, rendition.segments[0]!.uri), 'utf8'),
            init: await readFile(rendition.initPath, 'utf8'),
          });
          await writeFile(outPath, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
        },
      },
    });

  const playlist = (segments: Array<[string, number]>, map = 'init.mp4') =>
    ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', `#EXT-X-MAP:URI="${map}"`]
      .concat(segments.flatMap(([uri, d]) => [`#EXTINF:${d.toFixed(6)},`, uri]))
      .concat('#EXT-X-ENDLIST')
      .join('\n');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'curta-cover-'));
    store = new FsObjectStore({ rootDir: join(root, 'store'), publicBaseUrl: 'http://x', signingSecret: 's'.repeat(32) });
    asked = [];
    const put = (key: string, body: string) => store.put(`${prefix}/hls/720p/${key}`, body, { contentType: 'application/octet-stream' });
    await Promise.all([
      put(
        'index.m3u8',
        playlist([
          ['seg0.m4s', 2],
          ['seg1.m4s', 2],
          ['seg2.m4s', 1.5],
        ]),
      ),
      put('init.mp4', 'INIT'),
      put('seg0.m4s', 'S0'),
      put('seg1.m4s', 'S1'),
      put('seg2.m4s', 'S2'),
    ]);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('cuts from the one segment holding the time, at the offset inside it, and stores a new poster each time', async () => {
    const c = covers();
    const first = await c.cut(prefix, best, 2500);
    expect(asked[0]).toMatchObject({ segment: 'S1', init: 'INIT', atSec: 0.5 });
    expect(asked[0]!.rendition.segments).toEqual([{ uri: 'segment.m4s', durationSec: 2 }]);
    expect(first).toMatch(/^poster-[A-Za-z0-9_-]{8,}\.jpg$/);
    const stored = await store.head(`${prefix}/${first}`);
    expect(stored).toMatchObject({ contentType: 'image/jpeg', cacheControl: 'public, max-age=31536000, immutable' });

    // A segment boundary belongs to the next segment; the start, and past the listed end, stay inside the video.
    await c.cut(prefix, best, 2000);
    await c.cut(prefix, best, 0);
    await c.cut(prefix, best, 5600);
    expect(asked.slice(1).map((a) => [a.segment, a.atSec])).toEqual([
      ['S1', 0],
      ['S0', 0],
      ['S2', expect.closeTo(1.6, 6)],
    ]);
    const second = await c.cut(prefix, best, 2500);
    expect(second).not.toBe(first);
    // Its scratch folders are gone.
    expect(await readdir(join(root, 'work'))).toEqual([]);
  });

  it('refuses a playlist that points outside its folder, and missing media as not ready', async () => {
    await store.put(`${prefix}/hls/720p/index.m3u8`, playlist([['../../../other/seg.m4s', 2]]), { contentType: 'text/plain' });
    await expect(covers().cut(prefix, best, 100)).rejects.toThrow(/unexpected URI/);
    await expect(covers().cut('media/vid1/gone', best, 100)).rejects.toMatchObject({ code: 'video_not_ready' });
    expect(asked).toEqual([]);
  });

  it('turns a caller away with 503 image_processing_busy when every slot is taken', async () => {
    const slots = new BoundedSemaphore({ permits: 1, maxWaiting: 0, maxWaitMs: 10 });
    let release!: () => void;
    const held = slots.run(
      () => new Promise<void>((r) => (release = r)),
      () => {
        throw new Error('unexpected');
      },
    );
    await expect(covers(slots).cut(prefix, best, 100)).rejects.toMatchObject({ code: 'image_processing_busy', details: { retryAfter: 5 } });
    release();
    await held;
  });
});
