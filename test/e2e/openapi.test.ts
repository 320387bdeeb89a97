import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as accounts from '../../src/modules/accounts/accounts.schema.js';
import * as discovery from '../../src/modules/discovery/discovery.schema.js';
import * as events from '../../src/modules/events/events.schema.js';
import * as safety from '../../src/modules/safety/safety.schema.js';
import * as social from '../../src/modules/social/social.schema.js';
import * as uploads from '../../src/modules/uploads/uploads.schema.js';
import * as videos from '../../src/modules/videos/videos.schema.js';
import * as webhooks from '../../src/modules/webhooks/webhooks.schema.js';
import { ErrorBody } from '../../src/lib/http/api-schemas.js';
import { ERROR_CODES } from '../../src/errors.js';
import { openApiPath } from '../../src/http/openapi/document.js';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The OpenAPI document: valid OpenAPI 3.1, complete (every route Fastify
 * registered is in it, and nothing else), and true (real answers have
 * exactly the documented shapes).
 */
describe('API documentation', () => {
  let t: TestApp;
  let api: Api;
  let doc: any;

  beforeAll(async () => {
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    const r = await api('GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    doc = r.body;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the server registered, and no route it did not', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const registered = new Set(t.app.routes.map((r) => `${r.method} ${openApiPath(r.url)}`));
    const missing = [...registered].filter(
      // Fastify answers HEAD for every GET; a GET documents it.
      (key) => !documented.has(key) && !(key.startsWith('HEAD ') && documented.has(key.replace(/^HEAD /, 'GET '))),
    );
    expect(missing).toEqual([]);
    expect([...documented].filter((key) => !registered.has(key))).toEqual([]);
    expect(registered.size).toBeGreaterThan(70);
  });

  it('gives every operation a summary, a tag, responses, and request schemas where there is input', () => {
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.summary, where).toBeTruthy();
        expect(op.tags, where).toHaveLength(1);
        expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
        for (const m of path.matchAll(/\{([^}]+)\}/g)) {
          expect(
            op.parameters.some((p: any) => p.in === 'path' && p.name === m[1]),
            `${where} {${m[1]}}`,
          ).toBe(true);
        }
        if (['post', 'put', 'patch'].includes(method) && op.requestBody?.content?.['application/json']) {
          expect(op.requestBody.content['application/json'].schema.$ref, where).toMatch(/^#\/components\/schemas\//);
        }
      }
    }
    // Request bodies come from the routes' own Zod schemas: their limits show.
    expect(doc.components.schemas.CreateComment.properties.text.maxLength).toBe(1000);
    expect(doc.components.schemas.CreateReport.properties.reason.enum).toContain('self_harm');
    const feed = doc.paths['/api/v1/feed'].get.parameters.find((p: any) => p.name === 'limit');
    expect(feed).toMatchObject({
      in: 'query',
      required: false,
      description: 'Items per page',
      schema: { type: 'integer', maximum: 50, default: 10 },
    });
    // Readiness answers 503 with its own shape, and says so.
    expect(doc.paths['/readyz'].get.responses['503'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Health' });
    const reports = doc.paths['/api/v1/reports'].post;
    expect(reports.responses['429'].headers['Retry-After']).toBeDefined();
    expect(doc.paths['/api/v1/admin/reports'].get.responses['403']).toBeDefined();
    // Creating POSTs take Idempotency-Key and say what a reused one answers; limited routes name their RateLimit headers.
    const createUpload = doc.paths['/api/v1/uploads'].post;
    expect(createUpload.parameters.some((p: any) => p.in === 'header' && p.name === 'idempotency-key')).toBe(true);
    expect(createUpload.responses['422'].description).toContain('`idempotency_key_reused`');
    expect(createUpload.responses['409'].description).toContain('`idempotency_key_in_use`');
    expect(reports.responses['429'].headers.RateLimit).toBeDefined();
    expect(reports.responses['201'].headers['RateLimit-Policy']).toBeDefined();
    expect(doc.paths['/api/v1/webhooks/endpoints'].post.requestBody.content['application/json'].schema.$ref).toMatch(
      /CreateWebhookEndpoint$/,
    );
  });

  it('names operations readably and once, describes each, and lists the real error codes', () => {
    const ids: string[] = [];
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.description?.length ?? 0, where).toBeGreaterThan(10);
        ids.push(op.operationId);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/v1/videos/{id}'].get.operationId).toBe('getVideo');
    expect(doc.paths['/api/v1/feed/for-you'].get.operationId).toBe('listForYou');
    expect(doc.paths['/api/v1/users/{username}/followers'].get.operationId).toBe('listFollowers');
    expect([...doc.components.schemas.Error.properties.error.properties.code.enum].sort()).toEqual([...ERROR_CODES].sort());
    expect(doc.paths['/api/v1/videos/{id}'].get.responses['404'].description).toContain('`video_not_found`');
    // Integers carry the bounds they mean (counts from 0), not zod's implicit ±2^53.
    expect(JSON.stringify(doc)).not.toContain(String(Number.MAX_SAFE_INTEGER));
    expect(doc.components.schemas.Video.properties.durationMs.anyOf[0]).toMatchObject({ type: 'integer', minimum: 0 });
    for (const name of ['Video', 'AuthResult', 'Credentials', 'CreateUpload', 'EventsBatch']) {
      expect(doc.components.schemas[name].examples?.length, name).toBeGreaterThan(0);
    }
  });

  describe('answers match the documented schemas exactly', () => {
    let alice: TestUser;
    let bob: TestUser;
    let admin: TestUser;
    let videoId: string;

    /** Parsing strips undocumented keys and fails on missing or mistyped ones: equal means exact. */
    const R = { ...accounts, ...discovery, ...events, ...safety, ...social, ...uploads, ...videos, ...webhooks, ErrorBody };
    const exactly = (schema: z.ZodType, body: unknown, what: string) => {
      const parsed = schema.safeParse(body);
      expect(parsed.success ? null : parsed.error.issues, what).toBeNull();
      expect(parsed.data, what).toEqual(body);
    };

    beforeAll(async () => {
      [alice, bob, admin] = await Promise.all([signup(api, 'alice'), signup(api, 'bob'), signup(api, 'admin')]);
      await adminCommand(t.app.db, ['grant', 'admin']);
      videoId = await seedVideo(t, alice, { caption: 'hello @bob #docs' });
    });

    it('for accounts, profiles, videos and lists', async () => {
      const a = await api('POST', '/api/v1/auth/signup', { body: { username: 'carol', password: 'correct horse battery' } });
      exactly(R.AuthResult, a.body, 'signup');
      exactly(R.Me, (await api('GET', '/api/v1/me', { token: bob.token })).body, 'me');
      exactly(R.Profile, (await api('GET', '/api/v1/users/alice')).body, 'profile');
      exactly(R.Profile, (await api('GET', '/api/v1/users/alice', { token: bob.token })).body, 'profile (signed in)');
      exactly(R.Video, (await api('GET', `/api/v1/videos/${videoId}`)).body, 'video');
      exactly(R.Video, (await api('GET', `/api/v1/videos/${videoId}`, { token: bob.token })).body, 'video (signed in)');
      exactly(R.VideoPage, (await api('GET', '/api/v1/feed', { token: bob.token })).body, 'feed');
      exactly(R.HashtagPage, (await api('GET', '/api/v1/hashtags/docs/videos')).body, 'hashtag');
      exactly(R.SearchResult, (await api('GET', '/api/v1/search?q=hello')).body, 'search');
      exactly(R.FollowResult, (await api('PUT', '/api/v1/users/alice/follow', { token: bob.token })).body, 'follow');
      exactly(R.FollowPage, (await api('GET', '/api/v1/users/alice/followers')).body, 'followers');
      exactly(R.LikeResult, (await api('PUT', `/api/v1/videos/${videoId}/like`, { token: bob.token })).body, 'like');
      exactly(R.BookmarkResult, (await api('PUT', `/api/v1/videos/${videoId}/bookmark`, { token: bob.token })).body, 'bookmark');
      exactly(R.ShareResult, (await api('POST', `/api/v1/videos/${videoId}/share`)).body, 'share');
      const c = await api('POST', `/api/v1/videos/${videoId}/comments`, { token: bob.token, body: { text: 'nice' } });
      exactly(R.Comment, c.body, 'comment');
      exactly(R.CommentPage, (await api('GET', `/api/v1/videos/${videoId}/comments`, { token: alice.token })).body, 'comments');
      const ev = await api('POST', '/api/v1/events', {
        headers: { 'x-device-id': 'device-0123456789abcdef' },
        body: { events: [{ type: 'play', videoId }] },
      });
      exactly(R.EventsResult, ev.body, 'events');
      const up = await api('POST', '/api/v1/uploads', {
        token: bob.token,
        body: { filename: 'a.mp4', contentType: 'video/mp4', size: 1000 },
      });
      exactly(R.CreatedUpload, up.body, 'upload');
      exactly(R.UploadStatus, (await api('GET', `/api/v1/uploads/${up.body.videoId}`, { token: bob.token })).body, 'upload status');
      exactly(R.ErrorBody, (await api('GET', '/api/v1/videos/AAAAAAAAAAAAAAAA')).body, 'error');
      exactly(R.ErrorBody, (await api('PATCH', '/api/v1/me', { token: bob.token, body: { bio: 5 } })).body, 'validation error');
    });

    it('for blocks, reports and moderation', async () => {
      exactly(R.BlockResult, (await api('PUT', '/api/v1/users/carol/block', { token: bob.token })).body, 'block');
      exactly(R.BlockPage, (await api('GET', '/api/v1/me/blocks', { token: bob.token })).body, 'blocks');
      const rep = await api('POST', '/api/v1/reports', {
        token: bob.token,
        body: { targetType: 'video', targetId: videoId, reason: 'spam' },
      });
      exactly(R.ReportCreated, rep.body, 'report');
      await api('POST', '/api/v1/reports', { token: bob.token, body: { targetType: 'user', targetId: alice.id, reason: 'spam' } });
      const comments = await api('GET', `/api/v1/videos/${videoId}/comments`, { token: alice.token });
      await api('POST', '/api/v1/reports', {
        token: alice.token,
        body: { targetType: 'comment', targetId: comments.body.items[0].id, reason: 'spam' },
      });
      exactly(R.AdminReportPage, (await api('GET', '/api/v1/admin/reports', { token: admin.token })).body, 'queue');
      const down = await api('POST', `/api/v1/admin/videos/${videoId}/takedown`, { token: admin.token, body: { reason: 'spam' } });
      exactly(R.AdminVideoEnvelope, down.body, 'takedown');
      exactly(R.Video, (await api('GET', `/api/v1/videos/${videoId}`, { token: alice.token })).body, 'taken-down video (owner)');
      const resolved = await api('GET', '/api/v1/admin/reports?status=resolved', { token: admin.token });
      expect(resolved.body.items).toHaveLength(1);
      exactly(R.AdminReportPage, resolved.body, 'resolved queue');
      exactly(
        R.AdminUserEnvelope,
        (await api('POST', '/api/v1/admin/users/carol/ban', { token: admin.token, body: { reason: 'spam' } })).body,
        'ban',
      );
      exactly(R.AdminUserEnvelope, (await api('GET', '/api/v1/admin/users/carol', { token: admin.token })).body, 'admin user');
    });

    it('for webhook endpoints and deliveries', async () => {
      const body = { url: 'https://93.184.216.34/hooks', events: ['video.ready'] };
      const created = await api('POST', '/api/v1/webhooks/endpoints', { token: alice.token, body });
      exactly(R.CreatedWebhookEndpoint, created.body, 'created endpoint');
      const path = `/api/v1/webhooks/endpoints/${created.body.id}`;
      exactly(R.WebhookEndpoint, (await api('GET', path, { token: alice.token })).body, 'endpoint');
      exactly(R.WebhookEndpointPage, (await api('GET', '/api/v1/webhooks/endpoints', { token: alice.token })).body, 'endpoints');
      exactly(R.WebhookEndpoint, (await api('PATCH', path, { token: alice.token, body: { enabled: false } })).body, 'changed endpoint');
      exactly(R.WebhookSecret, (await api('POST', `${path}/secret`, { token: alice.token })).body, 'secret');
      exactly(R.WebhookDeliveryPage, (await api('GET', `${path}/deliveries`, { token: alice.token })).body, 'deliveries');
    });
  });

  it('serves an interactive page that loads nothing from elsewhere', async () => {
    const page = await fetch(`${t.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script src="/api/docs/app.js"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = await fetch(`${t.baseUrl}/api/docs/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await script.text();
    expect(js).toContain("fetch('/api/v1/openapi.json')");
    expect(js).not.toMatch(/https?:\/\//);
    expect(js).not.toContain('innerHTML');
  });
});
