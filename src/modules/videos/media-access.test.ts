import { describe, expect, it } from 'vitest';
import { MediaAccess } from './media-access.js';
import type { VideoAccessFields, ViewerStanding } from './visibility.js';

const video: VideoAccessFields = { owner_id: 'owner', status: 'ready', visibility: 'followers', taken_down_at: null, owner_banned: false };

/** A tiny world the checker reads: one video row and the fan's standing, both changeable, with read counts. */
function world() {
  const state = {
    row: { ...video } as VideoAccessFields | null,
    standing: { followsOwner: true, blocked: false, banned: false, admin: false } as ViewerStanding | null,
    rowReads: 0,
    standingReads: 0,
    failNext: false,
  };
  const deps = {
    row: async () => {
      state.rowReads++;
      return state.row && { ...state.row };
    },
    standing: async () => {
      state.standingReads++;
      if (state.failNext) {
        state.failNext = false;
        throw new Error('database down');
      }
      return state.standing && { ...state.standing };
    },
  };
  return { state, deps };
}

describe('MediaAccess', () => {
  it('reads the row on every request and the standing once per (viewer, owner) within the TTL', async () => {
    let now = 0;
    const { state, deps } = world();
    const access = new MediaAccess(deps, 2000, 100, () => now);
    for (let i = 0; i < 5; i++) expect(await access.allowed('v1', 'fan')).toBe(true);
    expect([state.rowReads, state.standingReads]).toEqual([5, 1]);
    // The owner needs no standing (their ban is on the row); nobody signed in neither.
    expect(await access.allowed('v1', 'owner')).toBe(true);
    expect(await access.allowed('v1', null)).toBe(false);
    expect(state.standingReads).toBe(1);
    // A change to the row shows on the next request.
    state.row = { ...video, visibility: 'private' };
    expect(await access.allowed('v1', 'fan')).toBe(false);
    state.row = null;
    expect(await access.allowed('v1', 'owner')).toBe(false);
    state.row = { ...video };
    // A change of standing made elsewhere shows once the TTL has passed.
    state.standing = { followsOwner: false, blocked: false, banned: false, admin: false };
    expect(await access.allowed('v1', 'fan')).toBe(true);
    now += 2001;
    expect(await access.allowed('v1', 'fan')).toBe(false);
    expect(state.standingReads).toBe(2);
  });

  it('forgets a viewer’s standing at once when this process changes their relations', async () => {
    const { state, deps } = world();
    const access = new MediaAccess(deps, 60_000);
    expect(await access.allowed('v1', 'fan')).toBe(true);
    state.standing = { followsOwner: true, blocked: true, banned: false, admin: false };
    expect(await access.allowed('v1', 'fan')).toBe(true);
    access.forgetViewers(['someone-else']);
    expect(await access.allowed('v1', 'fan')).toBe(true);
    access.forgetViewers(['owner', 'fan']);
    expect(await access.allowed('v1', 'fan')).toBe(false);
  });

  it('keeps no failed read, and stays bounded', async () => {
    const { state, deps } = world();
    const access = new MediaAccess(deps, 60_000, 3);
    state.failNext = true;
    await expect(access.allowed('v1', 'fan')).rejects.toThrow('database down');
    expect(await access.allowed('v1', 'fan')).toBe(true);
    expect(state.standingReads).toBe(2);
    for (const viewer of ['a', 'b', 'c', 'd']) await access.allowed('v1', viewer);
    // 'fan' was the oldest of five: evicted, so read again.
    expect(await access.allowed('v1', 'fan')).toBe(true);
    expect(state.standingReads).toBe(7);
  });

  it('reads the standing on every request with a TTL of 0', async () => {
    const { state, deps } = world();
    const access = new MediaAccess(deps, 0);
    await access.allowed('v1', 'fan');
    await access.allowed('v1', 'fan');
    expect(state.standingReads).toBe(2);
  });
});
