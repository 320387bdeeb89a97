import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../http/server.js';
import { defineRoute, registerRoutes } from './route.js';

/**
 * One declaration drives validation, the status, serialisation and the
 * handler's types; these check the first three on a real server.
 */
describe('declared routes', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await createHttpServer({
      logger: pino({ level: 'silent' }),
      jsonBodyLimit: 1024,
      publicBaseUrl: 'http://localhost',
      checkResponses: true,
    });
    const Item = z.object({ id: z.string(), count: z.int().min(0), note: z.string().nullable() });
    registerRoutes(app, [
      defineRoute({
        method: 'POST',
        url: '/items/:id',
        operationId: 'createItem',
        tag: 'system',
        summary: 'test',
        description: 'test',
        auth: 'none',
        params: z.object({ id: z.string().regex(/^[a-z]+$/, 'not an item id') }),
        query: z.object({ count: z.coerce.number().int().min(0).default(1) }),
        body: z.object({ note: z.string().max(5) }).strict(),
        status: 201,
        response: Item,
        // The handler's extra field must never reach the client.
        handler: async (request) => ({ id: request.params.id, count: request.query.count, note: request.body.note, secret: 'x' }),
      }),
      defineRoute({
        method: 'POST',
        url: '/optional',
        operationId: 'optionalBody',
        tag: 'system',
        summary: 'test',
        description: 'test',
        auth: 'none',
        body: z.object({ note: z.string() }).strict(),
        bodyOptional: true,
        response: z.object({ got: z.string() }),
        handler: async (request) => ({ got: request.body?.note ?? 'nothing' }),
      }),
      defineRoute({
        method: 'DELETE',
        url: '/items/:id',
        operationId: 'deleteItem',
        tag: 'system',
        summary: 'test',
        description: 'test',
        auth: 'none',
        status: 204,
        response: null,
        handler: async () => undefined,
      }),
    ]);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers with the declared status and only the declared fields', async () => {
    const res = await app.inject({ method: 'POST', url: '/items/abc?count=3', payload: { note: 'hi' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: 'abc', count: 3, note: 'hi' });
    const gone = await app.inject({ method: 'DELETE', url: '/items/abc' });
    expect(gone.statusCode).toBe(204);
    expect(gone.body).toBe('');
  });

  it('refuses bad params, query and bodies with validation_failed and the field', async () => {
    const cases = [
      { url: '/items/ABC', payload: { note: 'hi' }, path: 'id', message: 'not an item id' },
      { url: '/items/abc?count=-1', payload: { note: 'hi' }, path: 'count' },
      { url: '/items/abc', payload: { note: 'too long' }, path: 'note' },
      { url: '/items/abc', payload: { note: 'hi', extra: 1 }, path: 'extra', message: 'unknown field "extra"' },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: c.url, payload: c.payload });
      expect(res.statusCode, c.url).toBe(400);
      const body = res.json<{ error: { code: string; message: string; details: Array<{ path: string; message: string }> } }>();
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details[0]?.path).toBe(c.path);
      if (c.message) expect(body.error.message).toContain(c.message);
    }
  });

  it('refuses any field sent to a write route that declares no body, and accepts none or {}', async () => {
    const refused = await app.inject({ method: 'DELETE', url: '/items/abc', payload: { hard: true, reason: 'x' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'Invalid request: unknown fields "hard", "reason"',
        details: [
          { path: 'hard', message: 'unknown field' },
          { path: 'reason', message: 'unknown field' },
        ],
      },
    });
    expect((await app.inject({ method: 'DELETE', url: '/items/abc', payload: {} })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/items/abc' })).statusCode).toBe(204);
  });

  it('will not register a body schema that would drop unknown fields, naming where', async () => {
    const lenient = (body: z.ZodType) =>
      defineRoute({
        method: 'POST',
        url: `/lenient-${Math.random().toString(36).slice(2)}`,
        operationId: 'lenient',
        tag: 'system',
        summary: 'test',
        description: 'test',
        auth: 'none',
        body,
        response: null,
        status: 204,
        handler: async () => undefined,
      });
    expect(() => registerRoutes(app, [lenient(z.object({ visibility: z.string() }))])).toThrow(/POST \/lenient-\w+: .* at body;/);
    expect(() =>
      registerRoutes(app, [lenient(z.strictObject({ parts: z.array(z.object({ etag: z.string() })).optional() }).refine(() => true))]),
    ).toThrow(/unknown fields at body\.parts\[\]; declare its objects with z\.strictObject\(\)/);
    expect(() => registerRoutes(app, [lenient(z.union([z.strictObject({ a: z.string() }), z.object({ b: z.string() })]))])).toThrow(
      /at body;/,
    );
  });

  it('hands a missing optional body to the handler as undefined', async () => {
    expect((await app.inject({ method: 'POST', url: '/optional' })).json()).toEqual({ got: 'nothing' });
    expect((await app.inject({ method: 'POST', url: '/optional', payload: { note: 'x' } })).json()).toEqual({ got: 'x' });
    expect((await app.inject({ method: 'POST', url: '/optional', payload: { other: 1 } })).statusCode).toBe(400);
  });
});
