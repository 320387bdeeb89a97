import { describe, expect, it } from 'vitest';
import { NotificationWatch } from './notification-watch.js';
import { sentence } from './notifications.service.js';

function inboxes(initial: Record<string, string>) {
  const signatures = new Map(Object.entries(initial));
  const reads: string[][] = [];
  let fail = false;
  return {
    signatures,
    reads,
    failNext: () => (fail = true),
    load: async (ids: readonly string[]) => {
      reads.push([...ids]);
      if (fail) {
        fail = false;
        throw new Error('database away');
      }
      return ids.flatMap((id) => (signatures.has(id) ? [{ recipient_id: id, signature: signatures.get(id)! }] : []));
    },
  };
}

describe('NotificationWatch', () => {
  it('reads every watched inbox in one query per tick and wakes only the streams whose inbox changed', async () => {
    const db = inboxes({ ana: '1', ben: '1' });
    const watch = new NotificationWatch(db.load, 60_000);
    const woken: string[] = [];
    const stops = [
      ...Array.from({ length: 50 }, () => watch.watch('ana', () => void woken.push('ana'))),
      watch.watch('ben', () => void woken.push('ben')),
    ];
    await watch.tick(); // the first read wakes everyone once: a change since a stream opened is not lost
    expect(db.reads).toEqual([['ana', 'ben']]);
    expect(woken.filter((w) => w === 'ana')).toHaveLength(50);
    woken.length = 0;

    await watch.tick();
    expect(woken).toEqual([]); // nothing changed

    db.signatures.set('ben', '2');
    await watch.tick();
    expect(woken).toEqual(['ben']);
    expect(db.reads).toHaveLength(3);

    stops.forEach((stop) => stop());
    expect(watch.size).toBe(0);
    await watch.tick();
    expect(db.reads).toHaveLength(3); // nothing watched, nothing read
  });

  it('pokes the streams of a recipient at once, and keeps going after a failed read', async () => {
    const db = inboxes({ ana: '1' });
    const warnings: string[] = [];
    const watch = new NotificationWatch(db.load, 60_000, { warn: (_o, msg) => void warnings.push(msg) });
    let woken = 0;
    const stop = watch.watch('ana', () => {
      woken++;
    });
    watch.poke('ana', null, 'nobody');
    expect(woken).toBe(1);
    db.failNext();
    await watch.tick();
    expect(warnings).toHaveLength(1);
    await watch.tick();
    expect(woken).toBe(2);
    stop();
    watch.poke('ana');
    expect(woken).toBe(2);
  });
});

describe('notification sentences', () => {
  const like = (n: number) => ({ kind: 'like' as const, liker_count: n, comment_id: null });
  it('groups likers: one, two by name, more as "and N others"', () => {
    expect(sentence(like(1), ['ana'])).toBe('ana liked your video');
    expect(sentence(like(2), ['ana', 'ben'])).toBe('ana and ben liked your video');
    expect(sentence(like(4), ['ana', 'ben', 'cy'])).toBe('ana and 3 others liked your video');
  });
  it('tells a comment mention from a caption mention', () => {
    expect(sentence({ kind: 'mention', liker_count: 0, comment_id: 'c1' }, ['ana'])).toBe('ana mentioned you in a comment');
    expect(sentence({ kind: 'mention', liker_count: 0, comment_id: null }, ['ana'])).toBe('ana mentioned you in a video');
    expect(sentence({ kind: 'video_failed', liker_count: 0, comment_id: null }, [])).toBe('Your video could not be processed');
  });
});
