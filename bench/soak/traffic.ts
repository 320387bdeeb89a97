/**
 * The clean mix: what ordinary viewers and creators do, one simulated person
 * per connection, each behind its own client address (X-Forwarded-For, which
 * the server believes from loopback, as behind the recommended reverse proxy).
 */
import { randomBytes } from 'node:crypto';
import type { Answer, Client, Recorder } from './http.js';
import { json } from './http.js';

export interface SeedUser {
  username: string;
  token: string;
  /** The client address its requests carry. */
  address: string;
}

export interface PoolVideo {
  id: string;
  /** Paths of its HLS init and media segments (public, immutable). */
  segments: string[];
}

export interface World {
  users: SeedUser[];
  pool: PoolVideo[];
  /** The clip each upload sends. */
  clip: Buffer;
}

export const ROUTES = {
  feed: 'GET /feed',
  video: 'GET /videos/{id}',
  forYou: 'GET /feed/for-you',
  events: 'POST /events',
  segment: 'GET /media/… segment',
  like: 'PUT /videos/{id}/like',
  unlike: 'DELETE /videos/{id}/like',
  comment: 'POST /videos/{id}/comments',
  comments: 'GET /videos/{id}/comments',
  uploadCreate: 'POST /uploads',
  uploadPut: 'PUT /storage/originals/{id}',
  uploadComplete: 'POST /uploads/{id}/complete',
} as const;

/** Relative weights of the actions of one connection. */
const MIX: Array<[keyof typeof ROUTES, number]> = [
  ['feed', 20],
  ['video', 15],
  ['forYou', 12],
  ['events', 12],
  ['segment', 15],
  ['like', 10], // a like, or the unlike of what this connection liked before
  ['comments', 5],
  ['comment', 2],
];
const MIX_TOTAL = MIX.reduce((n, [, w]) => n + w, 0);

export function defineCleanRoutes(rec: Recorder): void {
  for (const route of Object.values(ROUTES)) rec.define(route);
}

/** 16–64 characters of [A-Za-z0-9_-], as X-Device-Id wants. */
export const deviceId = (): string => randomBytes(12).toString('base64url');

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

function pickAction(): keyof typeof ROUTES {
  let r = Math.random() * MIX_TOTAL;
  for (const [action, w] of MIX) if ((r -= w) < 0) return action;
  return MIX[0]![0];
}

/** One connection's loop until `stopped()`: even connections are signed in, odd ones anonymous (X-Device-Id) where they may be. */
export async function cleanConnection(client: Client, rec: Recorder, world: World, index: number, stopped: () => boolean): Promise<void> {
  const user = world.users[index % world.users.length]!;
  const signedIn = index % 2 === 0;
  const device = deviceId();
  const base = { 'x-forwarded-for': user.address };
  const bearer = { ...base, authorization: `Bearer ${user.token}` };
  const viewer = signedIn ? bearer : { ...base, 'x-device-id': device };
  const reader = signedIn ? bearer : base;
  const liked = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;

  while (!stopped()) {
    const action = pickAction();
    const video = pick(world.pool);
    const route = ROUTES[action];
    switch (action) {
      case 'feed': {
        const q: string = cursor && pages < 3 ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const a: Answer = await rec.send(client, route, { method: 'GET', path: `/api/v1/feed?limit=10${q}`, headers: reader });
        if (a.status === 200) {
          cursor = json<{ nextCursor: string | null }>(a).nextCursor;
          pages = q ? pages + 1 : 1;
        }
        break;
      }
      case 'video':
        await rec.send(client, route, { method: 'GET', path: `/api/v1/videos/${video.id}`, headers: reader });
        break;
      case 'forYou':
        await rec.send(client, route, { method: 'GET', path: '/api/v1/feed/for-you?limit=10', headers: viewer });
        break;
      case 'events': {
        const watchedMs = 500 + Math.floor(Math.random() * 3500);
        const events = [
          { type: 'impression', videoId: video.id },
          { type: 'play', videoId: video.id },
          { type: 'progress', videoId: video.id, watchedMs },
          { type: Math.random() < 0.6 ? 'complete' : 'skip', videoId: video.id, watchedMs },
        ];
        await rec.send(client, route, {
          method: 'POST',
          path: '/api/v1/events',
          headers: { ...viewer, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        break;
      }
      case 'segment':
        await rec.send(client, route, { method: 'GET', path: pick(video.segments), headers: base, discardBody: true });
        break;
      case 'like': {
        const undo = liked.has(video.id);
        const a = await rec.send(client, undo ? ROUTES.unlike : ROUTES.like, {
          method: undo ? 'DELETE' : 'PUT',
          path: `/api/v1/videos/${video.id}/like`,
          headers: bearer,
        });
        if (typeof a.status === 'number' && a.status < 300) {
          if (undo) liked.delete(video.id);
          else liked.add(video.id);
        }
        break;
      }
      case 'comments':
        await rec.send(client, route, { method: 'GET', path: `/api/v1/videos/${video.id}/comments?limit=20`, headers: reader });
        break;
      case 'comment':
        await rec.send(client, route, {
          method: 'POST',
          path: `/api/v1/videos/${video.id}/comments`,
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ text: `soak comment ${randomBytes(4).toString('hex')}` }),
        });
        break;
      default:
        throw new Error(`unexpected action ${action}`);
    }
  }
}

export interface UploadResult {
  videoId: string;
  token: string;
}

/**
 * The browser's upload, each step timed: create → PUT the bytes to the
 * signed URL → complete. Processing continues in the background.
 */
export async function uploadOnce(
  client: Client,
  rec: Recorder,
  user: SeedUser,
  clip: Buffer,
  caption: string,
): Promise<UploadResult | null> {
  const auth = { 'x-forwarded-for': user.address, authorization: `Bearer ${user.token}` };
  const created = await rec.send(client, ROUTES.uploadCreate, {
    method: 'POST',
    path: '/api/v1/uploads',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'soak.mp4', contentType: 'video/mp4', size: clip.length, caption }),
  });
  if (created.status !== 201) return null;
  const { videoId, upload } = json<{ videoId: string; upload: { kind: string; url: string; headers: Record<string, string> } }>(created);
  if (upload.kind !== 'single') throw new Error(`expected a single-PUT upload, got ${upload.kind}`);
  const url = new URL(upload.url);
  const put = await rec.send(client, ROUTES.uploadPut, {
    method: 'PUT',
    path: url.pathname + url.search,
    headers: { ...upload.headers, 'x-forwarded-for': user.address },
    body: clip,
  });
  if (put.status !== 200) return null;
  const done = await rec.send(client, ROUTES.uploadComplete, {
    method: 'POST',
    path: `/api/v1/uploads/${videoId}/complete`,
    headers: { ...auth, 'content-type': 'application/json' },
    body: '{}',
  });
  return done.status === 200 ? { videoId, token: user.token } : null;
}

/** `perSecond` uploads a second, round-robin over the users, at most `maxInFlight` at once, until `stopped()`. */
export async function uploadTicker(
  client: Client,
  rec: Recorder,
  world: World,
  perSecond: number,
  stopped: () => boolean,
  done: UploadResult[],
): Promise<void> {
  const maxInFlight = 8;
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let next = performance.now();
  while (!stopped()) {
    if (inFlight.size < maxInFlight) {
      const user = world.users[n % world.users.length]!;
      const p: Promise<void> = uploadOnce(client, rec, user, world.clip, `soak upload ${n} #soak`).then((r) => {
        if (r) done.push(r);
        inFlight.delete(p);
      });
      inFlight.add(p);
      n++;
    }
    next += 1000 / perSecond;
    await new Promise((res) => setTimeout(res, Math.max(0, next - performance.now())));
  }
  await Promise.all(inFlight);
}
