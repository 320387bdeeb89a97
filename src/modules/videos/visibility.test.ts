import { describe, expect, it } from 'vitest';
import { canView, needsRelation, type VideoAccessFields } from './visibility.js';
import type { Visibility } from './videos.repository.js';

const OWNER = 'owner-id';
const row = (visibility: Visibility, status: VideoAccessFields['status'] = 'ready'): VideoAccessFields => ({
  owner_id: OWNER,
  status,
  visibility,
});

describe('canView', () => {
  const cases: Array<[Visibility, { anonymous: boolean; owner: boolean; follower: boolean; other: boolean }]> = [
    ['public', { anonymous: true, owner: true, follower: true, other: true }],
    ['unlisted', { anonymous: true, owner: true, follower: true, other: true }],
    ['followers', { anonymous: false, owner: true, follower: true, other: false }],
    ['private', { anonymous: false, owner: true, follower: false, other: false }],
  ];
  for (const [visibility, expected] of cases) {
    it(`${visibility}: anonymous/owner/follower/other`, () => {
      expect(canView(row(visibility), null, null)).toBe(expected.anonymous);
      expect(canView(row(visibility), OWNER, null)).toBe(expected.owner);
      expect(canView(row(visibility), 'fan', { followsOwner: true })).toBe(expected.follower);
      expect(canView(row(visibility), 'stranger', { followsOwner: false })).toBe(expected.other);
    });
  }

  it('shows unfinished videos to their owner only', () => {
    for (const status of ['uploading', 'processing', 'failed'] as const) {
      expect(canView(row('public', status), OWNER, null)).toBe(true);
      expect(canView(row('public', status), 'fan', { followsOwner: true })).toBe(false);
    }
  });

  it('asks for the relation only when it matters', () => {
    expect(needsRelation(row('followers'), 'fan')).toBe(true);
    expect(needsRelation(row('followers'), OWNER)).toBe(false);
    expect(needsRelation(row('followers'), null)).toBe(false);
    expect(needsRelation(row('public'), 'fan')).toBe(false);
  });
});
