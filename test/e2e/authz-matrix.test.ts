import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { MediaUrls } from '../../src/modules/videos/media-urls.js';
import { FEED_GENERATION_KEY } from '../../src/modules/videos/video-events.js';
import type { Visibility } from '../../src/modules/videos/video.types.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The authorization matrix: every endpoint × who asks × the video's
 * visibility, with the answer each must get. Nobody reads or changes what
 * is not theirs; a video someone may not see looks exactly like a missing
 * one (404), and private renditions travel only on signed, expiring URLs.
 *
 * Who asks (the columns, in this order):
 *   anonymous — no token
 *   owner     — alice, who owns the videos
 *   follower  — fan, who follows alice (what followers-only videos are for)
 *   other     — carol, signed in, no relation
 *   blocked   — bob, whom alice blocked (he used to follow her)
 *   admin     — root, an admin (no extra powers outside /api/v1/admin)
 */
const ROLES = ['anonymous', 'owner', 'follower', 'other', 'blocked', 'admin'] as const;
type Role = (typeof ROLES)[number];
const VISIBILITIES = ['public', 'unlisted', 'followers', 'private'] as const satisfies readonly Visibility[];
type Outcome = number | string;
type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];
type Grid = Record<Visibility, Row>;

/** Who may see the video: the visibility rule, as statuses. */
//                       anonymous owner follower other blocked admin
const SEES: Grid = {
  public: /*         */ [200, 200, 200, 200, 404, 200],
  unlisted: /*       */ [200, 200, 200, 200, 404, 200],
  followers: /*      */ [404, 200, 200, 404, 404, 404],
  private: /*        */ [404, 200, 404, 404, 404, 404],
};
/** Only the owner changes it; those who see it get 403, the rest 404. */
const OWNER_ONLY: Grid = {
  public: /*         */ [401, 200, 403, 403, 404, 403],
  unlisted: /*       */ [401, 200, 403, 403, 404, 403],
  followers: /*      */ [401, 200, 403, 404, 404, 404],
  private: /*        */ [401, 200, 404, 404, 404, 404],
};
/** Uploads are the owner's alone, whatever the visibility. */
const OWNER_UPLOAD: Row = [401, 200, 404, 404, 404, 404];
/** Admin endpoints. */
const ADMIN_ONLY: Row = [401, 403, 403, 403, 403, 200];
const SIGNED_IN: Row = [401, 200, 200, 200, 200, 200];

const same = (row: Row): Grid => ({ public: row, unlisted: row, followers: row, private: row });
const map = (g: Grid, f: (o: Outcome, role: Role) => Outcome): Grid =>
  Object.fromEntries(VISIBILITIES.map((v) => [v, g[v].map((o, i) => f(o, ROLES[i]!))])) as unknown as Grid;
/** The same rule for endpoints that need a token: anonymous gets 401. */
const signedIn = (g: Grid, ok: Outcome = 200): Grid => map(g, (o, role) => (role === 'anonymous' ? 401 : o === 200 ? ok : o));

interface Ctx {
  video: string;
  comment: string;
  role: Role;
  token: string | undefined;
}
interface Res {
  status: number;
  body: any;
}
interface VideoCase {
  endpoint: string;
  /** A fresh video (and comment) for every cell: the call destroys or changes what it acts on. */
  fresh?: boolean;
  call(c: Ctx): Promise<Res>;
  /** What to compare when the status alone does not tell (default: the status). */
  outcome?(res: Res, c: Ctx): Promise<Outcome> | Outcome;
  expected: Grid;
}

describe('authorization matrix', () => {
  let t: TestApp;
  let api: Api;
  const users = {} as Record<Exclude<Role, 'anonymous'>, TestUser>;
  const shared = {} as Record<Visibility, { video: string; comment: string }>;
  const tokenOf = (role: Role) => (role === 'anonymous' ? undefined : users[role].token);

  async function makeVideo(visibility: Visibility): Promise<{ video: string; comment: string }> {
    const video = await seedVideo(t, users.owner, { visibility, caption: `a ${visibility} video` });
    const c = await api('POST', `/api/v1/videos/${video}/comments`, { token: users.owner.token, body: { text: 'by the owner' } });
    expect(c.status).toBe(201);
    // One rendition object, so playback URLs can be fetched.
    await t.app.store.put(`media/${video}/seed/poster.jpg`, Buffer.from('poster'), {
      contentType: 'image/jpeg',
      cacheControl: 'public, max-age=31536000, immutable',
    });
    return { video, comment: c.body.id };
  }

  beforeAll(async () => {
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    const names = { owner: 'alice', follower: 'fan', other: 'carol', blocked: 'bob', admin: 'root' } as const;
    for (const [role, name] of Object.entries(names)) users[role as keyof typeof names] = await signup(api, name);
    expect((await adminCommand(t.app.db, ['grant', 'root'])).code).toBe(0);
    for (const role of ['follower', 'blocked'] as const) {
      expect((await api('PUT', '/api/v1/users/alice/follow', { token: users[role].token })).status).toBe(200);
    }
    expect((await api('PUT', '/api/v1/users/bob/block', { token: users.owner.token })).status).toBe(200);
    for (const v of VISIBILITIES) shared[v] = await makeVideo(v);
    await t.app.cache.incr(FEED_GENERATION_KEY); // seeded behind the app's back
    t.app.services.videos.forgetFeedGeneration();
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Whether the list (every page of it) shows the video to this viewer. */
  const listed =
    (path: string) =>
    async (first: Res, c: Ctx): Promise<Outcome> => {
      let res = first;
      for (let pages = 0; res.status === 200 && pages < 20; pages++) {
        if (res.body.items.some((v: any) => v.id === c.video)) return 'listed';
        if (!res.body.nextCursor) return 'absent';
        res = await api('GET', `${path}?limit=50&cursor=${res.body.nextCursor}`, { token: c.token });
      }
      return res.status;
    };
  const vid = (c: Ctx) => `/api/v1/videos/${c.video}`;

  const VIDEO_CASES: VideoCase[] = [
    {
      // A followers-only video tells whoever only lacks the follow whose followers it is for (and nothing else of it).
      endpoint: 'GET /api/v1/videos/{id}',
      call: (c) => api('GET', vid(c), { token: c.token }),
      outcome: (res) =>
        res.status === 403 ? `${res.status} ${res.body.error.code} @${res.body.error.details?.author?.username}` : res.status,
      expected: {
        ...SEES,
        followers: /*  */ ['403 followers_only @alice', 200, 200, '403 followers_only @alice', 404, '403 followers_only @alice'],
      },
    },
    { endpoint: 'GET /api/v1/videos/{id}/comments', call: (c) => api('GET', `${vid(c)}/comments`, { token: c.token }), expected: SEES },
    { endpoint: 'GET /api/v1/videos/{id}/events (SSE)', call: (c) => api('GET', `${vid(c)}/events`, { token: c.token }), expected: SEES },
    {
      endpoint: 'PATCH /api/v1/videos/{id}',
      call: (c) => api('PATCH', vid(c), { token: c.token, body: { caption: `edited by ${c.role}` } }),
      expected: OWNER_ONLY,
    },
    {
      endpoint: 'DELETE /api/v1/videos/{id}',
      fresh: true,
      call: (c) => api('DELETE', vid(c), { token: c.token }),
      expected: signedIn(OWNER_ONLY, 204),
    },
    { endpoint: 'PUT /api/v1/videos/{id}/like', call: (c) => api('PUT', `${vid(c)}/like`, { token: c.token }), expected: signedIn(SEES) },
    {
      endpoint: 'DELETE /api/v1/videos/{id}/like',
      call: (c) => api('DELETE', `${vid(c)}/like`, { token: c.token }),
      expected: signedIn(SEES),
    },
    {
      // A creator's numbers are theirs: those who see the video get 403, the rest 404.
      endpoint: 'GET /api/v1/videos/{id}/stats',
      call: (c) => api('GET', `${vid(c)}/stats`, { token: c.token }),
      expected: OWNER_ONLY,
    },
    {
      // Your own video never shows in your For You: nothing to be not interested in (400).
      endpoint: 'POST /api/v1/videos/{id}/not-interested',
      call: (c) => api('POST', `${vid(c)}/not-interested`, { token: c.token }),
      expected: map(signedIn(SEES), (o, role) => (role === 'owner' ? 400 : o)),
    },
    {
      // Undoing your own mark reveals nothing, whatever the video's state.
      endpoint: 'DELETE /api/v1/videos/{id}/not-interested',
      call: (c) => api('DELETE', `${vid(c)}/not-interested`, { token: c.token }),
      expected: same(SIGNED_IN),
    },
    {
      endpoint: 'PUT /api/v1/videos/{id}/bookmark',
      call: (c) => api('PUT', `${vid(c)}/bookmark`, { token: c.token }),
      expected: signedIn(SEES),
    },
    {
      // Removing your own bookmark works even for a video you can no longer see (it reveals nothing).
      endpoint: 'DELETE /api/v1/videos/{id}/bookmark',
      call: (c) => api('DELETE', `${vid(c)}/bookmark`, { token: c.token }),
      expected: same(SIGNED_IN),
    },
    { endpoint: 'POST /api/v1/videos/{id}/share', call: (c) => api('POST', `${vid(c)}/share`, { token: c.token }), expected: SEES },
    {
      endpoint: 'POST /api/v1/videos/{id}/comments',
      call: (c) => api('POST', `${vid(c)}/comments`, { token: c.token, body: { text: `from ${c.role}` } }),
      expected: signedIn(SEES, 201),
    },
    {
      endpoint: "DELETE /api/v1/videos/{id}/comments/{commentId} (the owner's comment)",
      fresh: true,
      call: (c) => api('DELETE', `${vid(c)}/comments/${c.comment}`, { token: c.token }),
      expected: signedIn(OWNER_ONLY, 204),
    },
    {
      endpoint: 'PUT /api/v1/videos/{id}/comments/{commentId}/like',
      call: (c) => api('PUT', `${vid(c)}/comments/${c.comment}/like`, { token: c.token }),
      expected: signedIn(SEES),
    },
    {
      endpoint: 'DELETE /api/v1/videos/{id}/comments/{commentId}/like',
      call: (c) => api('DELETE', `${vid(c)}/comments/${c.comment}/like`, { token: c.token }),
      expected: signedIn(SEES),
    },
    {
      endpoint: 'POST /api/v1/reports (the video)',
      call: (c) => api('POST', '/api/v1/reports', { token: c.token, body: { targetType: 'video', targetId: c.video, reason: 'spam' } }),
      //                    anonymous owner follower other blocked admin
      expected: {
        public: /*     */ [401, 400, 201, 201, 404, 201],
        unlisted: /*   */ [401, 400, 201, 201, 404, 201],
        followers: /*  */ [401, 400, 201, 404, 404, 404],
        private: /*    */ [401, 400, 404, 404, 404, 404],
      },
    },
    {
      endpoint: 'POST /api/v1/events (a play)',
      call: (c) =>
        api('POST', '/api/v1/events', {
          token: c.token,
          headers: c.token ? {} : { 'x-device-id': 'matrix-device-000001' },
          body: { events: [{ type: 'play', videoId: c.video }] },
        }),
      outcome: (res) => (res.status !== 200 ? res.status : res.body.accepted === 1 ? 'stored' : 'dropped'),
      expected: map(SEES, (o) => (o === 200 ? 'stored' : 'dropped')),
    },
    {
      endpoint: 'GET /api/v1/uploads/{id}',
      call: (c) => api('GET', `/api/v1/uploads/${c.video}`, { token: c.token }),
      expected: same(OWNER_UPLOAD),
    },
    {
      endpoint: 'POST /api/v1/uploads/{id}/complete',
      call: (c) => api('POST', `/api/v1/uploads/${c.video}/complete`, { token: c.token }),
      expected: same(OWNER_UPLOAD),
    },
    {
      endpoint: 'POST /api/v1/admin/videos/{id}/takedown',
      fresh: true,
      call: (c) => api('POST', `/api/v1/admin/videos/${c.video}/takedown`, { token: c.token, body: { reason: 'matrix' } }),
      expected: same(ADMIN_ONLY),
    },
    {
      endpoint: 'DELETE /api/v1/admin/videos/{id}/takedown',
      fresh: true,
      call: (c) => api('DELETE', `/api/v1/admin/videos/${c.video}/takedown`, { token: c.token }),
      expected: same(ADMIN_ONLY),
    },
    {
      endpoint: 'GET /api/v1/users/alice/videos (is it listed?)',
      call: (c) => api('GET', '/api/v1/users/alice/videos?limit=50', { token: c.token }),
      outcome: listed('/api/v1/users/alice/videos'),
      //                    anonymous  owner     follower  other     blocked   admin
      expected: {
        public: /*     */ ['listed', 'listed', 'listed', 'listed', 'absent', 'listed'],
        unlisted: /*   */ ['absent', 'listed', 'absent', 'absent', 'absent', 'absent'],
        followers: /*  */ ['absent', 'listed', 'listed', 'absent', 'absent', 'absent'],
        private: /*    */ ['absent', 'listed', 'absent', 'absent', 'absent', 'absent'],
      },
    },
    {
      endpoint: 'GET /api/v1/feed (is it listed?)',
      call: (c) => api('GET', '/api/v1/feed?limit=50', { token: c.token }),
      outcome: listed('/api/v1/feed'),
      expected: {
        public: /*     */ ['listed', 'listed', 'listed', 'listed', 'absent', 'listed'],
        unlisted: /*   */ ['absent', 'absent', 'absent', 'absent', 'absent', 'absent'],
        followers: /*  */ ['absent', 'absent', 'absent', 'absent', 'absent', 'absent'],
        private: /*    */ ['absent', 'absent', 'absent', 'absent', 'absent', 'absent'],
      },
    },
    {
      // The renditions, through the `playback` URLs the API hands this viewer.
      endpoint: 'media via playback.poster',
      call: (c) => api('GET', vid(c), { token: c.token }),
      outcome: async (res) => {
        if (res.status !== 200) return 'no URL';
        const url: string = res.body.playback.poster;
        const kind = url.includes('/media/s/') ? 'signed' : 'plain';
        return `${kind} ${(await fetch(url)).status}`;
      },
      //                    anonymous    owner         follower      other        blocked   admin
      expected: {
        public: /*     */ ['plain 200', 'plain 200', 'plain 200', 'plain 200', 'no URL', 'plain 200'],
        unlisted: /*   */ ['plain 200', 'plain 200', 'plain 200', 'plain 200', 'no URL', 'plain 200'],
        followers: /*  */ ['no URL', 'signed 200', 'signed 200', 'no URL', 'no URL', 'no URL'],
        private: /*    */ ['no URL', 'signed 200', 'no URL', 'no URL', 'no URL', 'no URL'],
      },
    },
  ];

  for (const kase of VIDEO_CASES) {
    it(kase.endpoint, async () => {
      const actual = {} as Record<Visibility, Outcome[]>;
      for (const visibility of VISIBILITIES) {
        actual[visibility] = [];
        for (const role of ROLES) {
          const target = kase.fresh ? await makeVideo(visibility) : shared[visibility];
          const ctx: Ctx = { ...target, role, token: tokenOf(role) };
          const res = await kase.call(ctx);
          actual[visibility].push(kase.outcome ? await kase.outcome(res, ctx) : res.status);
        }
      }
      expect(actual).toEqual(kase.expected);
    });
  }

  it('media: restricted renditions answer only on a valid, unexpired signature', async () => {
    for (const visibility of ['followers', 'private'] as const) {
      const { video } = shared[visibility];
      const signed: string = (await api('GET', `/api/v1/videos/${video}`, { token: users.owner.token })).body.playback.poster;
      expect((await fetch(`${t.baseUrl}/media/${video}/seed/poster.jpg`)).status, 'plain URL').toBe(404);
      expect((await fetch(signed.replace(/\/media\/s\/(\d+)\/[^/]+\//, '/media/s/$1/forged/'))).status, 'forged').toBe(403);
      const expired = new MediaUrls(t.app.config.mediaBaseUrl, t.app.config.signingSecret, 60, () => Date.now() - 86_400_000);
      expect((await fetch(expired.forPrefix(`media/${video}/seed`, false, users.owner.id)('poster.jpg'))).status, 'expired').toBe(403);
      const ok = await fetch(signed);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cache-control')).toMatch(/^private/);
    }
  });

  describe('account and admin endpoints', () => {
    let reportIds: string[] = [];
    let target: TestUser;

    beforeAll(async () => {
      target = await signup(api, 'target');
      const video = await seedVideo(t, target);
      // One report per cell of the report endpoints below (6 roles × 3 endpoints).
      const reporters = await Promise.all(Array.from({ length: 18 }, (_, i) => signup(api, `reporter${i}`)));
      reportIds = await Promise.all(
        reporters.map(async (r) => {
          const rep = await api('POST', '/api/v1/reports', {
            token: r.token,
            body: { targetType: 'video', targetId: video, reason: 'spam' },
          });
          expect(rep.status).toBe(201);
          return rep.body.report.id as string;
        }),
      );
    });

    interface UserCase {
      endpoint: string;
      call(token: string | undefined, role: Role): Promise<Res>;
      /** Puts things back after a cell that changed them. */
      undo?(res: Res, role: Role): Promise<void>;
      expected: Row;
    }
    const nextReport = () => reportIds.shift()!;
    const USER_CASES: UserCase[] = [
      { endpoint: 'GET /api/v1/me', call: (tok) => api('GET', '/api/v1/me', { token: tok }), expected: SIGNED_IN },
      { endpoint: 'PATCH /api/v1/me', call: (tok) => api('PATCH', '/api/v1/me', { token: tok, body: { bio: 'hi' } }), expected: SIGNED_IN },
      { endpoint: 'GET /api/v1/me/bookmarks', call: (tok) => api('GET', '/api/v1/me/bookmarks', { token: tok }), expected: SIGNED_IN },
      { endpoint: 'GET /api/v1/me/blocks', call: (tok) => api('GET', '/api/v1/me/blocks', { token: tok }), expected: SIGNED_IN },
      { endpoint: 'GET /api/v1/me/videos', call: (tok) => api('GET', '/api/v1/me/videos', { token: tok }), expected: SIGNED_IN },
      {
        endpoint: 'GET /api/v1/me/notifications',
        call: (tok) => api('GET', '/api/v1/me/notifications', { token: tok }),
        expected: SIGNED_IN,
      },
      {
        endpoint: 'GET /api/v1/me/notification-settings',
        call: (tok) => api('GET', '/api/v1/me/notification-settings', { token: tok }),
        expected: SIGNED_IN,
      },
      { endpoint: 'GET /api/v1/me/privacy', call: (tok) => api('GET', '/api/v1/me/privacy', { token: tok }), expected: SIGNED_IN },
      {
        // Private by default: only alice sees what she liked; bob, whom she blocked, gets nothing at all.
        endpoint: "GET /api/v1/users/alice/liked (alice's likes, private)",
        call: (tok) => api('GET', '/api/v1/users/alice/liked', { token: tok }),
        expected: [403, 200, 403, 403, 404, 403],
      },
      { endpoint: 'GET /api/v1/feed/following', call: (tok) => api('GET', '/api/v1/feed/following', { token: tok }), expected: SIGNED_IN },
      {
        endpoint: 'POST /api/v1/auth/logout (then the token is dead)',
        call: async (tok) => {
          // Log out a second session, so the matrix's own token lives on.
          if (!tok) return api('POST', '/api/v1/auth/logout');
          const me = (await api('GET', '/api/v1/me', { token: tok })).body.user.username;
          const s = await api('POST', '/api/v1/auth/login', { body: { username: me, password: 'correct horse battery' } });
          const out = await api('POST', '/api/v1/auth/logout', { token: s.body.token });
          expect((await api('GET', '/api/v1/me', { token: s.body.token })).status).toBe(401);
          return out;
        },
        expected: [401, 204, 204, 204, 204, 204],
      },
      {
        endpoint: 'POST /api/v1/uploads',
        call: (tok) => api('POST', '/api/v1/uploads', { token: tok, body: { filename: 'a.mp4', contentType: 'video/mp4', size: 1000 } }),
        expected: [401, 201, 201, 201, 201, 201],
      },
      {
        endpoint: "GET /api/v1/users/alice (alice's profile)",
        call: (tok) => api('GET', '/api/v1/users/alice', { token: tok }),
        expected: [200, 200, 200, 200, 200, 200],
      },
      {
        endpoint: 'PUT /api/v1/users/alice/follow',
        call: (tok) => api('PUT', '/api/v1/users/alice/follow', { token: tok }),
        undo: async (res, role) => {
          if (res.status === 200 && role !== 'follower') await api('DELETE', '/api/v1/users/alice/follow', { token: tokenOf(role) });
        },
        expected: [401, 400, 200, 200, 403, 200],
      },
      {
        endpoint: 'PUT /api/v1/users/target/block',
        call: (tok) => api('PUT', '/api/v1/users/target/block', { token: tok }),
        undo: async (res, role) => {
          if (res.status === 200) await api('DELETE', '/api/v1/users/target/block', { token: tokenOf(role) });
        },
        expected: SIGNED_IN,
      },
      {
        endpoint: 'POST /api/v1/reports (alice, the account)',
        call: (tok) =>
          api('POST', '/api/v1/reports', { token: tok, body: { targetType: 'user', targetId: users.owner.id, reason: 'spam' } }),
        expected: [401, 400, 201, 201, 201, 201],
      },
      { endpoint: 'GET /api/v1/admin/reports', call: (tok) => api('GET', '/api/v1/admin/reports', { token: tok }), expected: ADMIN_ONLY },
      {
        endpoint: 'GET /api/v1/admin/reports/{id}',
        call: (tok) => api('GET', `/api/v1/admin/reports/${nextReport()}`, { token: tok }),
        expected: ADMIN_ONLY,
      },
      {
        endpoint: 'POST /api/v1/admin/reports/{id}/resolve',
        call: (tok) => api('POST', `/api/v1/admin/reports/${nextReport()}/resolve`, { token: tok }),
        expected: ADMIN_ONLY,
      },
      {
        endpoint: 'POST /api/v1/admin/reports/{id}/dismiss',
        call: (tok) => api('POST', `/api/v1/admin/reports/${nextReport()}/dismiss`, { token: tok }),
        expected: ADMIN_ONLY,
      },
      {
        endpoint: 'GET /api/v1/admin/users/{username}',
        call: (tok) => api('GET', '/api/v1/admin/users/target', { token: tok }),
        expected: ADMIN_ONLY,
      },
      {
        endpoint: 'POST /api/v1/admin/users/{username}/ban',
        call: (tok) => api('POST', '/api/v1/admin/users/target/ban', { token: tok, body: { reason: 'matrix' } }),
        undo: async (res) => {
          if (res.status === 200) await api('DELETE', '/api/v1/admin/users/target/ban', { token: users.admin.token });
        },
        expected: ADMIN_ONLY,
      },
      {
        endpoint: 'DELETE /api/v1/admin/users/{username}/ban',
        call: (tok) => api('DELETE', '/api/v1/admin/users/target/ban', { token: tok }),
        expected: ADMIN_ONLY,
      },
    ];

    for (const kase of USER_CASES) {
      it(kase.endpoint, async () => {
        const actual: Outcome[] = [];
        for (const role of ROLES) {
          const res = await kase.call(tokenOf(role), role);
          actual.push(res.status);
          await kase.undo?.(res, role);
        }
        expect(actual).toEqual(kase.expected);
      });
    }
  });
});
