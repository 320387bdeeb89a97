import { describe, expect, it } from 'vitest';
import {
  canFetchMedia,
  canView,
  discoverableSql,
  followersOnlyFor,
  isDiscoverable,
  isPublished,
  listedSql,
  needsRelation,
  publicationOf,
  publishedSql,
  viewableSql,
  type VideoAccessFields,
  type ViewerStanding,
} from './visibility.js';
import type { Visibility } from './video.types.js';

const OWNER = 'owner-id';
const row = (
  visibility: Visibility,
  status: VideoAccessFields['status'] = 'ready',
  extra: Partial<VideoAccessFields> = {},
): VideoAccessFields => ({
  owner_id: OWNER,
  status,
  visibility,
  taken_down_at: null,
  owner_banned: false,
  ...extra,
});

const fan = { followsOwner: true, blocked: false };
const stranger = { followsOwner: false, blocked: false };
const blocked = { followsOwner: false, blocked: true };
const blockedFan = { followsOwner: true, blocked: true };

describe('canView', () => {
  const cases: Array<[Visibility, { anonymous: boolean; owner: boolean; follower: boolean; other: boolean }]> = [
    ['public', { anonymous: true, owner: true, follower: true, other: true }],
    ['unlisted', { anonymous: true, owner: true, follower: true, other: true }],
    ['followers', { anonymous: false, owner: true, follower: true, other: false }],
    ['private', { anonymous: false, owner: true, follower: false, other: false }],
  ];
  for (const [visibility, expected] of cases) {
    it(`${visibility}: anonymous/owner/follower/other, and nobody in a block`, () => {
      expect(canView(row(visibility), null, null)).toBe(expected.anonymous);
      expect(canView(row(visibility), OWNER, null)).toBe(expected.owner);
      expect(canView(row(visibility), 'fan', fan)).toBe(expected.follower);
      expect(canView(row(visibility), 'stranger', stranger)).toBe(expected.other);
      expect(canView(row(visibility), 'blocked', blocked)).toBe(false);
      expect(canView(row(visibility), 'blocked', blockedFan)).toBe(false);
    });
  }

  it('shows unfinished videos to their owner only', () => {
    for (const status of ['uploading', 'processing', 'failed'] as const) {
      expect(canView(row('public', status), OWNER, null)).toBe(true);
      expect(canView(row('public', status), 'fan', fan)).toBe(false);
    }
  });

  it('hides taken-down videos and banned owners’ videos from all but the owner', () => {
    for (const extra of [{ taken_down_at: new Date() }, { owner_banned: true }]) {
      expect(canView(row('public', 'ready', extra), OWNER, null)).toBe(true);
      expect(canView(row('public', 'ready', extra), null, null)).toBe(false);
      expect(canView(row('unlisted', 'ready', extra), 'fan', fan)).toBe(false);
      expect(isDiscoverable(row('public', 'ready', extra))).toBe(false);
    }
    expect(isDiscoverable(row('public'))).toBe(true);
    expect(isDiscoverable(row('unlisted'))).toBe(false);
  });

  it('asks for the relation only when it matters', () => {
    expect(needsRelation(row('followers'), 'fan')).toBe(true);
    expect(needsRelation(row('public'), 'fan')).toBe(true); // a block hides public videos too
    expect(needsRelation(row('followers'), OWNER)).toBe(false);
    expect(needsRelation(row('followers'), null)).toBe(false);
    expect(needsRelation(row('private'), 'fan')).toBe(false);
    expect(needsRelation(row('public', 'processing'), 'fan')).toBe(false);
    expect(needsRelation(row('public', 'ready', { taken_down_at: new Date() }), 'fan')).toBe(false);
  });
});

describe('canFetchMedia (signed media URLs, re-checked on every request)', () => {
  const standing = (extra: Partial<ViewerStanding> = {}): ViewerStanding => ({ ...fan, banned: false, admin: false, ...extra });

  it('follows canView for the viewer the URL was issued to', () => {
    expect(canFetchMedia(row('followers'), 'fan', standing())).toBe(true);
    expect(canFetchMedia(row('followers'), 'fan', standing({ followsOwner: false }))).toBe(false);
    expect(canFetchMedia(row('followers'), 'fan', standing({ blocked: true }))).toBe(false);
    expect(canFetchMedia(row('private'), 'fan', standing())).toBe(false);
    expect(canFetchMedia(row('followers', 'ready', { taken_down_at: new Date() }), 'fan', standing())).toBe(false);
    expect(canFetchMedia(row('followers', 'ready', { owner_banned: true }), 'fan', standing())).toBe(false);
    expect(canFetchMedia(row('followers', 'processing'), 'fan', standing())).toBe(false);
    expect(canFetchMedia(row('unlisted'), null, null)).toBe(true);
    expect(canFetchMedia(row('followers'), null, null)).toBe(false);
  });

  it('refuses a banned or vanished viewer, and the owner once banned', () => {
    expect(canFetchMedia(row('public'), 'fan', standing({ banned: true }))).toBe(false);
    expect(canFetchMedia(row('public'), 'fan', null)).toBe(false);
    expect(canFetchMedia(row('private', 'processing', { taken_down_at: new Date() }), OWNER, null)).toBe(true);
    expect(canFetchMedia(row('private', 'ready', { owner_banned: true }), OWNER, null)).toBe(false);
  });

  it('lets admins (handed signed URLs in the report queue) see what they review while they are admins', () => {
    expect(
      canFetchMedia(row('private', 'ready', { taken_down_at: new Date() }), 'root', standing({ followsOwner: false, admin: true })),
    ).toBe(true);
    expect(canFetchMedia(row('private'), 'root', standing({ followsOwner: false, admin: false }))).toBe(false);
  });
});

describe('followersOnlyFor: who is told a video is for followers rather than that it is missing', () => {
  it('says so to anyone whose one obstacle is not following: anonymous and signed-in strangers', () => {
    expect(followersOnlyFor(row('followers'), null, null)).toBe(true);
    expect(followersOnlyFor(row('followers'), 'stranger', stranger)).toBe(true);
  });

  it('never for those who see it, nor across a block, nor for other visibilities or states', () => {
    expect(followersOnlyFor(row('followers'), OWNER, null)).toBe(false);
    expect(followersOnlyFor(row('followers'), 'fan', fan)).toBe(false);
    expect(followersOnlyFor(row('followers'), 'blocked', blocked)).toBe(false);
    expect(followersOnlyFor(row('followers'), 'blocked', blockedFan)).toBe(false);
    // Without the relation a signed-in viewer's block is unknown: no hint.
    expect(followersOnlyFor(row('followers'), 'stranger', null)).toBe(false);
    for (const v of ['public', 'unlisted', 'private'] as const) {
      expect(followersOnlyFor(row(v), null, null), v).toBe(false);
      expect(followersOnlyFor(row(v), 'stranger', stranger), v).toBe(false);
    }
    for (const status of ['uploading', 'processing', 'failed'] as const) {
      expect(followersOnlyFor(row('followers', status), 'stranger', stranger), status).toBe(false);
    }
    expect(followersOnlyFor(row('followers', 'ready', { taken_down_at: new Date() }), 'stranger', stranger)).toBe(false);
    expect(followersOnlyFor(row('followers', 'ready', { owner_banned: true }), null, null)).toBe(false);
  });

  it('agrees with canView: it only ever explains a refusal', () => {
    const relations = [null, fan, stranger, blocked, blockedFan];
    for (const v of ['public', 'unlisted', 'followers', 'private'] as const) {
      for (const viewer of [null, OWNER, 'someone']) {
        for (const rel of relations) {
          if (followersOnlyFor(row(v), viewer, rel)) expect(canView(row(v), viewer, rel)).toBe(false);
        }
      }
    }
  });
});

describe('publication (drafts and scheduled videos)', () => {
  const NOW = Date.parse('2030-06-01T12:00:00Z');
  const draft = { publish_at: null };
  const scheduled = { publish_at: new Date(NOW + 60_000) };
  const due = { publish_at: new Date(NOW) };

  it('tells a draft, a scheduled and a published video apart against the clock; rows cached before the column: published', () => {
    expect(publicationOf(draft, NOW)).toBe('draft');
    expect(publicationOf(scheduled, NOW)).toBe('scheduled');
    expect(publicationOf(scheduled, NOW + 60_000)).toBe('published');
    expect(publicationOf(due, NOW)).toBe('published');
    // Cached as JSON: a string.
    expect(publicationOf({ publish_at: new Date(NOW + 1).toISOString() as unknown as Date }, NOW)).toBe('scheduled');
    expect(publicationOf({}, NOW)).toBe('published');
    expect(isPublished(draft, NOW)).toBe(false);
  });

  it('hides an unpublished video from everyone but its owner, whatever its visibility, and names no author', () => {
    for (const visibility of ['public', 'unlisted', 'followers', 'private'] as const) {
      for (const p of [draft, { publish_at: new Date(Date.now() + 3_600_000) }]) {
        const r = row(visibility, 'ready', p);
        expect(canView(r, OWNER, null), visibility).toBe(true);
        expect(canView(r, null, null), visibility).toBe(false);
        expect(canView(r, 'fan', fan), visibility).toBe(false);
        expect(canView(r, 'other', stranger), visibility).toBe(false);
        expect(followersOnlyFor(r, null, null)).toBe(false);
        expect(followersOnlyFor(r, 'other', stranger)).toBe(false);
        expect(needsRelation(r, 'other')).toBe(false);
        expect(isDiscoverable(r)).toBe(false);
        expect(canFetchMedia(r, 'other', { ...fan, banned: false, admin: false })).toBe(false);
        expect(canFetchMedia(r, OWNER, null)).toBe(true);
      }
    }
    const published = row('public', 'ready', { publish_at: new Date(Date.now() - 1000) });
    expect(canView(published, null, null)).toBe(true);
    expect(isDiscoverable(published)).toBe(true);
  });

  it('has an SQL twin comparing with the database clock', () => {
    expect(publishedSql('v')).toBe('(v.publish_at IS NOT NULL AND v.publish_at <= now())');
    expect(discoverableSql('v')).toContain(publishedSql('v'));
    expect(viewableSql('v', '$1')).toContain(publishedSql('v'));
    expect(listedSql('v', '$1')).toContain(publishedSql('v'));
  });
});
