import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { cachePubliclyForAnonymous, registerCacheDefaults } from './cache-control.js';

async function server() {
  const app = Fastify();
  app.decorateRequest('user', null);
  app.decorateRequest('authToken', null);
  registerCacheDefaults(app);
  app.get('/public', async (request, reply) => {
    cachePubliclyForAnonymous(request, reply);
    return { ok: true };
  });
  app.get('/plain', async () => ({ ok: true }));
  app.get('/own', async (_request, reply) => reply.header('cache-control', 'public, max-age=60').send('x'));
  app.get('/boom', async (_request, reply) => reply.header('cache-control', 'public, max-age=60').status(404).send({}));
  return app;
}

describe('Cache-Control defaults', () => {
  it('lets shared caches keep anonymous answers briefly, never credentialed ones', async () => {
    const app = await server();
    const anonymous = await app.inject({ url: '/public' });
    expect(anonymous.headers['cache-control']).toBe('public, max-age=5');
    expect(anonymous.headers.vary).toBe('Authorization');
    const signedIn = await app.inject({ url: '/public', headers: { authorization: 'Bearer x' } });
    expect(signedIn.headers['cache-control']).toBe('private, no-store');
    expect(signedIn.headers.vary).toBe('Authorization');
  });

  it('makes silent routes private, keeps a route’s own policy, and never stores errors', async () => {
    const app = await server();
    expect((await app.inject({ url: '/plain' })).headers['cache-control']).toBe('private, no-store');
    expect((await app.inject({ url: '/own' })).headers['cache-control']).toBe('public, max-age=60');
    expect((await app.inject({ url: '/boom' })).headers['cache-control']).toBe('no-store');
    expect((await app.inject({ url: '/missing' })).headers['cache-control']).toBe('no-store');
  });
});
