import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { verifyWebhookSignature } from '../../src/modules/webhooks/signature.js';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { makeClip } from '../support/media.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

interface Delivery {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  event: { id: string; type: string; createdAt: string; data: { video: Record<string, any> } };
}

const ALL_EVENTS = ['video.ready', 'video.failed', 'video.deleted', 'upload.expired'];

/**
 * Webhooks end to end: a receiver on loopback (the operator allows private
 * addresses here) gets signed events for real uploads — processed, refused
 * as malformed, deleted, expired — retries until it answers, and sees nothing
 * about other people's videos; endpoints are private to their owners, and
 * URLs that point inside the network are refused where not allowed.
 */
describe('webhooks', () => {
  let t: TestApp;
  let api: Api;
  let receiver: Server;
  let base: string;
  const received: Delivery[] = [];
  /** Statuses a path answers with, in turn (then 200). */
  const scripted = new Map<string, number[]>();
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;

  const waitFor = async (what: string, found: () => Delivery | undefined, timeoutMs = 60_000): Promise<Delivery> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const d = found();
      if (d) return d;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no delivery: ${what}; got ${received.map((r) => `${r.path} ${r.event.type}`).join(', ')}`);
  };
  const deliveryOf = (path: string, type: string, videoId: string) => () =>
    received.find((r) => r.path === path && r.event.type === type && r.event.data.video.id === videoId);

  const register = async (user: TestUser, path: string, extra: Record<string, unknown> = {}) => {
    const r = await api('POST', '/api/v1/webhooks/endpoints', {
      token: user.token,
      body: { url: `${base}${path}`, events: ALL_EVENTS, ...extra },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; secret: string; url: string; scope: string };
  };

  const upload = async (user: TestUser, bytes: Buffer): Promise<string> => {
    const created = await api('POST', '/api/v1/uploads', {
      token: user.token,
      body: { filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const put = await fetch(created.body.upload.url, { method: 'PUT', headers: created.body.upload.headers, body: new Uint8Array(bytes) });
    expect(put.status).toBe(200);
    return created.body.videoId as string;
  };

  beforeAll(async () => {
    receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '';
        received.push({ path, headers: req.headers, body, event: JSON.parse(body) });
        const status = scripted.get(path)?.shift() ?? 200;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'thanks' : `failing with ${status}`);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_MAX_ATTEMPTS: '3' });
    api = apiClient(t.baseUrl);
    [alice, bob, admin] = await Promise.all([signup(api, 'alice'), signup(api, 'bob'), signup(api, 'admin')]);
    await adminCommand(t.app.db, ['grant', 'admin']);
  });

  afterAll(async () => {
    await t?.close();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  it('delivers signed events for a processed, a refused and a deleted video — to the owner and the operator only', async () => {
    const mine = await register(alice, '/alice');
    expect(mine.secret).toMatch(/^whsec_/);
    expect(mine.scope).toBe('own');
    await register(bob, '/bob');
    const operator = await register(admin, '/operator', { scope: 'all' });
    expect(operator.scope).toBe('all');
    // The secret is shown once.
    const listed = await api('GET', '/api/v1/webhooks/endpoints', { token: alice.token });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).not.toHaveProperty('secret');

    const clipPath = join(t.dataDir, 'clip.mp4');
    await makeClip(clipPath, { width: 180, height: 320, seconds: 1 });
    const ready = await upload(alice, await readFile(clipPath));
    await waitForVideo(api, ready, alice.token, (v) => v.status === 'ready');
    const got = await waitFor('video.ready to alice', deliveryOf('/alice', 'video.ready', ready));
    expect(got.event).toMatchObject({
      type: 'video.ready',
      data: { video: { id: ready, ownerId: alice.id, status: 'ready', width: 180, height: 320 } },
    });
    expect(got.event.id).toMatch(/^evt_/);
    expect(new Date(got.event.createdAt).getTime()).toBeGreaterThan(Date.now() - 120_000);
    expect(got.headers['curta-event-id']).toBe(got.event.id);
    expect(verifyWebhookSignature({ header: got.headers['curta-signature'] as string, body: got.body, secret: mine.secret })).toMatchObject(
      {
        ok: true,
      },
    );
    // Signed with alice's secret, not anyone else's.
    expect(
      verifyWebhookSignature({ header: got.headers['curta-signature'] as string, body: got.body, secret: operator.secret }),
    ).toMatchObject({
      ok: false,
    });
    const seenByOperator = await waitFor('video.ready to the operator', deliveryOf('/operator', 'video.ready', ready));
    expect(seenByOperator.event.id).toBe(got.event.id);

    const malformed = await upload(alice, Buffer.from('this is not a video at all, just text pretending to be an mp4 file'));
    await waitForVideo(api, malformed, alice.token, (v) => v.status === 'failed');
    const failed = await waitFor('video.failed', deliveryOf('/alice', 'video.failed', malformed));
    expect(failed.event.data.video).toMatchObject({ status: 'failed', error: { code: expect.any(String), message: expect.any(String) } });

    expect((await api('DELETE', `/api/v1/videos/${ready}`, { token: alice.token })).status).toBe(204);
    const deleted = await waitFor('video.deleted', deliveryOf('/alice', 'video.deleted', ready));
    expect(deleted.event.data).toEqual({ video: { id: ready, ownerId: alice.id } });

    // Bob's endpoint heard nothing about alice's videos.
    expect(received.filter((r) => r.path === '/bob')).toEqual([]);
    // Each event went once to each endpoint.
    expect(received.filter((r) => r.path === '/alice' && r.event.data.video.id === ready).map((r) => r.event.type)).toEqual([
      'video.ready',
      'video.deleted',
    ]);
  });

  it('announces an upload that expired before its file arrived', async () => {
    await register(bob, '/bob-expiry', { events: ['upload.expired'] });
    const created = await api('POST', '/api/v1/uploads', {
      token: bob.token,
      body: { filename: 'a.mp4', contentType: 'video/mp4', size: 1000 },
    });
    const videoId = created.body.videoId as string;
    await t.app.db.query(
      `UPDATE videos SET upload_expires_at = now() - interval '1 hour', created_at = now() - interval '2 hours' WHERE id = $1`,
      [videoId],
    );
    await t.app.services.reconciler.sweep();
    const got = await waitFor('upload.expired', deliveryOf('/bob-expiry', 'upload.expired', videoId));
    expect(got.event.data.video).toMatchObject({ id: videoId, ownerId: bob.id, status: 'failed', error: { code: 'upload_expired' } });
    // Subscribed to upload.expired only: no video.failed for the same change.
    expect(received.filter((r) => r.path === '/bob-expiry').map((r) => r.event.type)).toEqual(['upload.expired']);
  });

  it('retries a failing receiver with backoff, records every answer, and redelivers on request', async () => {
    const carol = await signup(api, 'carol');
    scripted.set('/flaky', [500, 500]);
    const endpoint = await register(carol, '/flaky', { events: ['video.deleted'] });
    const videoId = (
      await api('POST', '/api/v1/uploads', { token: carol.token, body: { filename: 'a.mp4', contentType: 'video/mp4', size: 10 } })
    ).body.videoId as string;
    await api('DELETE', `/api/v1/videos/${videoId}`, { token: carol.token });

    const deadline = Date.now() + 30_000;
    let delivery: any;
    while (Date.now() < deadline) {
      const page = await api('GET', `/api/v1/webhooks/endpoints/${endpoint.id}/deliveries`, { token: carol.token });
      expect(page.status).toBe(200);
      delivery = page.body.items[0];
      if (delivery?.status === 'delivered') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, maxAttempts: 3, eventType: 'video.deleted', nextAttemptAt: null });
    expect(delivery.history.map((a: any) => [a.attempt, a.responseStatus, a.responseBody, a.error])).toEqual([
      [3, 200, 'thanks', null],
      [2, 500, 'failing with 500', null],
      [1, 500, 'failing with 500', null],
    ]);
    for (const a of delivery.history) expect(a.durationMs).toBeGreaterThanOrEqual(0);
    const hits = received.filter((r) => r.path === '/flaky');
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((h) => h.event.id)).size).toBe(1);
    expect(JSON.parse(delivery.payload).id).toBe(hits[0]!.event.id);
    // The retries waited: base 200 ms, then twice that.
    const at = delivery.history.map((a: any) => Date.parse(a.at)).reverse();
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(150);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(350);

    const again = await api('POST', `/api/v1/webhooks/endpoints/${endpoint.id}/deliveries/${delivery.id}/redeliver`, {
      token: carol.token,
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'pending', attempts: 0, redeliveryOf: delivery.id, eventId: delivery.eventId });
    await waitFor('the redelivery', () => (received.filter((r) => r.path === '/flaky').length === 4 ? received.at(-1) : undefined));
    expect(received.filter((r) => r.path === '/flaky').at(-1)!.event.id).toBe(delivery.eventId);
  });

  it('gives a delivery up (dead) after its last attempt', async () => {
    const dave = await signup(api, 'dave');
    scripted.set('/down', [503, 503, 503, 503]);
    const endpoint = await register(dave, '/down', { events: ['video.deleted'] });
    const videoId = (
      await api('POST', '/api/v1/uploads', { token: dave.token, body: { filename: 'a.mp4', contentType: 'video/mp4', size: 10 } })
    ).body.videoId as string;
    await api('DELETE', `/api/v1/videos/${videoId}`, { token: dave.token });
    const deadline = Date.now() + 30_000;
    let delivery: any;
    while (Date.now() < deadline) {
      delivery = (await api('GET', `/api/v1/webhooks/endpoints/${endpoint.id}/deliveries`, { token: dave.token })).body.items[0];
      if (delivery?.status === 'dead') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(delivery).toMatchObject({ status: 'dead', attempts: 3, nextAttemptAt: null });
    expect(delivery.finishedAt).toEqual(expect.any(String));
    expect(delivery.history.map((a: any) => a.responseStatus)).toEqual([503, 503, 503]);
    expect(received.filter((r) => r.path === '/down')).toHaveLength(3);
  });

  it("keeps endpoints private to their owner: another user's is a 404 everywhere", async () => {
    const mine = await register(alice, '/alice-private', { events: ['video.ready'] });
    const path = `/api/v1/webhooks/endpoints/${mine.id}`;
    expect((await api('GET', path, { token: bob.token })).status).toBe(404);
    const patch = await api('PATCH', path, { token: bob.token, body: { enabled: false } });
    expect(patch.status).toBe(404);
    expect(patch.body.error.code).toBe('webhook_endpoint_not_found');
    expect((await api('DELETE', path, { token: bob.token })).status).toBe(404);
    expect((await api('POST', `${path}/secret`, { token: bob.token })).status).toBe(404);
    expect((await api('GET', `${path}/deliveries`, { token: bob.token })).status).toBe(404);
    expect((await api('GET', `/api/v1/webhooks/endpoints`, { token: bob.token })).body.items.map((e: any) => e.id)).not.toContain(mine.id);
    expect((await api('GET', path)).status).toBe(401);
    // An operator's endpoint is the admins' to manage, not a user's.
    const operator = await register(admin, '/operator-2', { scope: 'all', events: ['video.ready'] });
    expect((await api('GET', `/api/v1/webhooks/endpoints/${operator.id}`, { token: alice.token })).status).toBe(404);
    const scopeAll = await api('POST', '/api/v1/webhooks/endpoints', {
      token: alice.token,
      body: { url: `${base}/x`, events: ['video.ready'], scope: 'all' },
    });
    expect(scopeAll.status).toBe(403);

    // The owner manages it.
    const changed = await api('PATCH', path, { token: alice.token, body: { enabled: false, events: ['video.ready', 'video.deleted'] } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ enabled: false, events: ['video.ready', 'video.deleted'] });
    const rotated = await api('POST', `${path}/secret`, { token: alice.token });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(mine.secret);
    expect((await api('DELETE', path, { token: alice.token })).status).toBe(204);
    expect((await api('GET', path, { token: alice.token })).status).toBe(404);
  });

  it('refuses bad URLs and unknown fields with 400', async () => {
    const bad = [
      'not a url',
      'ftp://example.com/hook',
      'http://user:secret@example.com/hook',
      'https://example.com/hook#frag',
      '/relative',
      `https://example.com/${'a'.repeat(2100)}`,
    ];
    for (const url of bad) {
      const r = await api('POST', '/api/v1/webhooks/endpoints', { token: alice.token, body: { url, events: ['video.ready'] } });
      expect(r.status, url).toBe(400);
      expect(['webhook_url_invalid', 'validation_failed'], url).toContain(r.body.error.code);
    }
    const unknownEvent = await api('POST', '/api/v1/webhooks/endpoints', {
      token: alice.token,
      body: { url: `${base}/x`, events: ['video.liked'] },
    });
    expect(unknownEvent.status).toBe(400);
    const none = await api('POST', '/api/v1/webhooks/endpoints', { token: alice.token, body: { url: `${base}/x`, events: [] } });
    expect(none.status).toBe(400);
    const extra = await api('POST', '/api/v1/webhooks/endpoints', {
      token: alice.token,
      body: { url: `${base}/x`, events: ['video.ready'], secret: 'mine' },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('"secret"');
  });
});

describe('webhooks without private addresses allowed (the default)', () => {
  let t: TestApp;
  let api: Api;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    user = await signup(api, 'erin');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses URLs on loopback, private, link-local and mapped addresses, and names that resolve to them', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://[::1]/hook',
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[fd00::1]/hook',
      'http://0.0.0.0/hook',
      'http://2130706433/hook',
      'http://localhost:8080/hook',
    ]) {
      const r = await api('POST', '/api/v1/webhooks/endpoints', { token: user.token, body: { url, events: ['video.ready'] } });
      expect(r.status, url).toBe(400);
      expect(r.body.error.code, url).toBe('webhook_url_forbidden');
    }
    const mine = await api('POST', '/api/v1/webhooks/endpoints', {
      token: user.token,
      body: { url: 'https://93.184.216.34/hook', events: ['video.ready'] },
    });
    expect(mine.status).toBe(201);
    const moved = await api('PATCH', `/api/v1/webhooks/endpoints/${mine.body.id}`, {
      token: user.token,
      body: { url: 'http://127.0.0.1/x' },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.error.code).toBe('webhook_url_forbidden');
  });
});

/**
 * On PostgreSQL (real concurrent transactions): the trigger writes the event
 * in the deleting transaction, and relays racing in several processes fan
 * each event out exactly once (SKIP LOCKED).
 */
const distributed = (await postgresAvailable()) && (await redisAvailable());
if (distributed) {
  describe('webhooks (distributed: PostgreSQL, Redis)', () => {
    let t: TestApp;
    let api: Api;

    beforeAll(async () => {
      t = await startDistributedTestApp(false, { WEBHOOK_ALLOW_PRIVATE: 'true' });
      api = apiClient(t.baseUrl);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('fans every event out once, however many relays race', async () => {
      const owner = await signup(api, 'frank');
      const r = await api('POST', '/api/v1/webhooks/endpoints', {
        token: owner.token,
        body: { url: 'http://127.0.0.1:9/hook', events: ['video.deleted', 'video.ready'] },
      });
      expect(r.status).toBe(201);
      const ids = await Promise.all(Array.from({ length: 6 }, () => seedVideo(t, owner)));
      // A rolled-back deletion announces nothing.
      await expect(
        t.app.db.transaction(async (tx) => {
          await tx.query('DELETE FROM videos WHERE id = $1', [ids[0]]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      for (const id of ids) expect((await api('DELETE', `/api/v1/videos/${id}`, { token: owner.token })).status).toBe(204);
      const taken = await Promise.all(Array.from({ length: 4 }, () => t.app.services.webhooks.dispatchPending()));
      expect(taken.reduce((a, b) => a + b, 0)).toBe(6);
      const rows = await t.app.db.query<{ event_type: string; n: string }>(
        'SELECT event_type, count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY event_type',
        [r.body.id],
      );
      expect(rows.rows.map((x) => [x.event_type, Number(x.n)])).toEqual([['video.deleted', 6]]);
      const events = await t.app.db.query<{ n: string }>(`SELECT count(DISTINCT event_id) AS n FROM webhook_deliveries`);
      expect(Number(events.rows[0]!.n)).toBe(6);
      expect(await t.app.services.webhooks.dispatchPending()).toBe(0);
    });
  });
}
