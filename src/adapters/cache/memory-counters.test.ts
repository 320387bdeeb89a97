import { describe, expect, it } from 'vitest';
import { MemoryCounters } from './memory-counters.js';

describe('MemoryCounters (the embedded rate limiter store)', () => {
  it('counts atomically in fixed windows that later increments do not extend', async () => {
    let now = 1_000;
    const counters = new MemoryCounters({ now: () => now });
    const results = await Promise.all(Array.from({ length: 50 }, () => counters.incr('k', 1, 100)));
    expect(new Set(results).size).toBe(50);
    expect(await counters.get('k')).toBe(50);
    now += 99;
    expect(await counters.incr('k', -1, 100)).toBe(49);
    now += 1;
    expect(await counters.get('k')).toBeUndefined();
    expect(await counters.incr('k', 1, 100)).toBe(1);
  });

  it('sweeps expired windows that nobody asks about again, keeping live ones', async () => {
    let now = 0;
    const counters = new MemoryCounters({ now: () => now });
    for (let i = 0; i < 50; i++) await counters.incr(`once:${i}`, 1, 1_000);
    await counters.incr('lockout', 10, 60_000);
    expect(counters.sweepExpired()).toBe(0);
    now += 1_000;
    expect(counters.sweepExpired()).toBe(50);
    expect(counters.size).toBe(1);
    expect(await counters.get('lockout')).toBe(10);
    expect(counters.evicted).toBe(0);
  });

  it('stays within maxKeys, dropping expired windows before any live counter', async () => {
    let now = 0;
    const counters = new MemoryCounters({ maxKeys: 1000, now: () => now });
    await counters.incr('lockout', 10, 60_000); // the oldest, and live throughout
    for (let i = 0; i < 999; i++) await counters.incr(`short:${i}`, 1, 1_000);
    now += 1_000; // every short window is over
    for (let i = 0; i < 999; i++) await counters.incr(`fresh:${i}`, 1, 1_000);
    expect(counters.size).toBeLessThanOrEqual(1000);
    expect(await counters.get('lockout')).toBe(10);
    expect(counters.evicted).toBe(0);
  });

  it('when every counter is live, the oldest go, a slice at a time', async () => {
    const counters = new MemoryCounters({ maxKeys: 1000, now: () => 0 });
    for (let i = 0; i < 1000; i++) await counters.incr(`k:${i}`, 1, 60_000);
    await counters.incr('newest', 1, 60_000);
    expect(counters.size).toBeLessThanOrEqual(1000);
    expect(counters.evicted).toBeGreaterThanOrEqual(1);
    expect(await counters.get('k:0')).toBeUndefined();
    expect(await counters.get('k:999')).toBe(1);
    expect(await counters.get('newest')).toBe(1);
  });

  it('a flood of fresh, single-hit keys (rotated device ids) evicts itself, never a live lockout', async () => {
    const counters = new MemoryCounters({ maxKeys: 1000, now: () => 0 });
    for (let i = 0; i < 10; i++) await counters.incr('login:name:victim', 1, 900_000); // locked out, and the oldest
    for (let i = 0; i < 50_000; i++) await counters.incr(`events:device:${i}`, 1, 60_000);
    expect(counters.size).toBeLessThanOrEqual(1000);
    expect(await counters.get('login:name:victim')).toBe(10);
    // Once nothing but counters that counted more than once is left, the oldest of them go.
    for (let i = 0; i < 1000; i++) await counters.incr(`busy:${i}`, 2, 60_000);
    expect(await counters.get('login:name:victim')).toBeUndefined();
  });
});
