import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CursorSigner, encodeCursor } from '../lib/cursor.js';
import { page, PageQuery } from '../lib/http/api-schemas.js';
import { defineRoute, registerRoutes } from '../lib/http/route.js';
import { registerCursorSigning } from './cursors.js';
import { createHttpServer } from './server.js';
import { z } from 'zod';

/**
 * Two lists on a real server: what the handlers are asked for shows that a
 * cursor the server did not issue never reaches a service (nor its cache
 * keys nor its queries).
 */
describe('signed cursors', () => {
  let app: FastifyInstance;
  const seen: Array<string | undefined> = [];
  const positions = ['p1', 'p2', 'p3'].map((id, i) => encodeCursor({ t: `2026-01-0${i + 1}T00:00:00.000Z`, id }));

  beforeAll(async () => {
    app = await createHttpServer({
      logger: pino({ level: 'silent' }),
      jsonBodyLimit: 1024,
      publicBaseUrl: 'http://localhost',
      checkResponses: true,
    });
    registerCursorSigning(app, new CursorSigner('a-test-secret-of-at-least-32-characters'));
    const list = (url: string) =>
      defineRoute({
        method: 'GET',
        url,
        operationId: url.replaceAll('/', '_'),
        tag: 'system',
        summary: 'test',
        description: 'test',
        auth: 'none',
        query: PageQuery,
        response: page(z.string()),
        handler: async (request) => {
          seen.push(request.query.cursor);
          const at = request.query.cursor ? positions.indexOf(request.query.cursor) + 1 : 0;
          return { items: [`item${at}`], nextCursor: positions[at] ?? null };
        },
      });
    registerRoutes(app, [list('/feed'), list('/users/:name/videos')]);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json<{ items?: string[]; nextCursor?: string | null; error?: { code: string } }>() };
  };

  it('hands out signed cursors and takes them back as the list issued them', async () => {
    const pages: string[] = [];
    let cursor: string | null | undefined = null;
    do {
      const r = await get(`/feed${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      pages.push(...r.body.items!);
      if (r.body.nextCursor) expect(positions).not.toContain(r.body.nextCursor); // never the bare position
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(['item0', 'item1', 'item2', 'item3']);
    expect(seen.slice(-4)).toEqual([undefined, ...positions]);
    // Another user's list of the same kind takes it too (the list, not its parameters, signs).
    const first = await get('/users/alice/videos');
    expect((await get(`/users/bob/videos?cursor=${first.body.nextCursor}`)).status).toBe(200);
  });

  it('refuses forged, tampered and borrowed cursors with invalid_cursor before the handler', async () => {
    const signed = (await get('/feed')).body.nextCursor!;
    const fromOtherList = (await get('/users/alice/videos')).body.nextCursor!;
    const calls = seen.length;
    const forged = [
      positions[1]!, // a real position, never signed
      `${positions[1]}.AAAAAAAAAAAAAAAAAAAAAA`,
      signed.slice(0, -1) + (signed.endsWith('A') ? 'B' : 'A'),
      encodeCursor({ t: '2026-01-05T00:00:00.000Z', id: 'x' }) + signed.slice(signed.lastIndexOf('.')),
      fromOtherList,
      'x'.repeat(401),
    ];
    for (const cursor of forged) {
      const r = await get(`/feed?cursor=${encodeURIComponent(cursor)}`);
      expect(r.status, cursor).toBe(400);
      expect(r.body.error?.code).toBe(cursor.length > 400 ? 'validation_failed' : 'invalid_cursor');
    }
    expect(seen.length).toBe(calls);
  });

  it('signs with the secret: another secret does not accept it', () => {
    const a = new CursorSigner('a'.repeat(32));
    const b = new CursorSigner('b'.repeat(32));
    const s = a.sign('/feed', 'abc.1');
    expect(a.verify('/feed', s)).toBe('abc.1');
    expect(() => b.verify('/feed', s)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    expect(() => a.verify('/other', s)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
  });
});
