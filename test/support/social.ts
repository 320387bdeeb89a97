import { expect } from 'vitest';
import { randomId } from '../../src/lib/ids.js';
import type { Visibility } from '../../src/modules/videos/video.types.js';
import { VideosRepository } from '../../src/modules/videos/videos.repository.js';
import { FEED_GENERATION_KEY } from '../../src/modules/videos/video-events.js';
import type { apiClient, TestApp } from './test-app.js';

export type Api = ReturnType<typeof apiClient>;

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

export async function signup(api: Api, username: string): Promise<TestUser> {
  const r = await api('POST', '/api/v1/auth/signup', { body: { username, password: 'correct horse battery' } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.user.id, username, token: r.body.token };
}

export interface SeedVideo {
  caption?: string;
  visibility?: Visibility;
  status?: 'ready' | 'processing' | 'failed' | 'uploading';
  durationMs?: number;
  /** Age in ms (created_at = now - age). */
  ageMs?: number;
}

/**
 * A video row inserted straight into the database, as if processing had
 * finished (no media objects): for tests about everything but the media.
 * Caption links are stored the way the app stores them.
 */
export async function seedVideo(t: TestApp, owner: TestUser, v: SeedVideo = {}): Promise<string> {
  const id = randomId();
  const status = v.status ?? 'ready';
  const repo = new VideosRepository(t.app.db);
  await t.app.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename, content_type,
                           declared_size, upload_expires_at, media_prefix, duration_ms, width, height, playback, ready_at,
                           created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'seed.mp4', 'video/mp4', 1000, now() + interval '1 hour', $7, $8, 360, 640, $9, $10,
               date_trunc('milliseconds', now() - make_interval(secs => $11::double precision / 1000)))`,
      [
        id,
        owner.id,
        status,
        v.caption ?? '',
        v.visibility ?? 'public',
        `originals/${id}`,
        status === 'ready' ? `media/${id}/seed` : null,
        v.durationMs ?? 15_000,
        status === 'ready' ? JSON.stringify({ hls: 'master.m3u8', mp4: 'video.mp4', poster: 'poster.jpg' }) : null,
        status === 'ready' ? new Date() : null,
        v.ageMs ?? 0,
      ],
    );
    await repo.setCaptionLinks(id, v.caption ?? '', tx);
  });
  // As publication does: rankings cached under the previous feed generation (trending) would not show it for their TTL.
  if (status === 'ready') await t.app.cache.incr(FEED_GENERATION_KEY);
  return id;
}

/** Runs `n` calls of `fn` at once. */
export function parallel<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}
