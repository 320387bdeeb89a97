import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/http/openapi/document.js';
import { adminCommand } from '../../src/modules/safety/admin-command.js';
import { signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FIELD = 'notAFieldOfThisEndpoint';

/**
 * A field the API does not know is a 400 that names it, on every write route:
 * a client that misspells an option (`privacy` for `visibility`) hears about it
 * instead of getting the default (a public video).
 */
describe('unknown fields in request bodies', () => {
  let t: TestApp;
  let api: Api;
  let admin: TestUser;
  let doc: any;

  beforeAll(async () => {
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    admin = await signup(api, 'root');
    await adminCommand(t.app.db, ['grant', 'root']);
    doc = (await api('GET', '/api/v1/openapi.json')).body;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('POST /api/v1/uploads refuses `privacy` instead of publishing a public video', async () => {
    const file = { filename: 'a.mp4', contentType: 'video/mp4', size: 1000 };
    const r = await api('POST', '/api/v1/uploads', { token: admin.token, body: { ...file, privacy: 'private' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({
      code: 'validation_failed',
      message: 'Invalid request: unknown field "privacy"',
      details: [{ path: 'privacy', message: 'unknown field' }],
    });
    // The field the client meant is honoured.
    const ok = await api('POST', '/api/v1/uploads', { token: admin.token, body: { ...file, visibility: 'private' } });
    expect(ok.status).toBe(201);
    const { videoId } = ok.body as { videoId: string };
    expect((await api('GET', `/api/v1/videos/${videoId}`, { token: admin.token })).body.visibility).toBe('private');
  });

  it('every write route refuses a field it does not declare, naming it (nested ones too)', async () => {
    const writes = t.app.routes.filter((r) => WRITES.has(r.method));
    expect(writes.length).toBeGreaterThan(25);
    const checked: string[] = [];
    for (const route of writes) {
      const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      const content = op?.requestBody?.content as Record<string, unknown> | undefined;
      // Raw bodies (avatar image, storage PUT) are bytes, not JSON objects.
      if (content && !content['application/json']) continue;
      const url = route.url.replace(/:username/g, 'root').replace(/:[A-Za-z]+/g, 'AAAAAAAAAAAAAAAA');
      const r = await api(route.method, url, {
        token: admin.token,
        headers: { 'x-device-id': 'device-0123456789abcdef' },
        body: { [FIELD]: true },
      });
      const where = `${route.method} ${route.url}`;
      expect(r.status, `${where}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error.code, where).toBe('validation_failed');
      expect(r.body.error.message, where).toContain(`unknown field "${FIELD}"`);
      expect(r.body.error.details, where).toContainEqual({ path: FIELD, message: 'unknown field' });
      checked.push(where);
    }
    expect(checked).toContain('POST /api/v1/uploads');
    expect(checked).toContain('PUT /api/v1/videos/:id/like');
    expect(checked.length).toBeGreaterThan(25);

    const nested = await api('POST', '/api/v1/uploads/AAAAAAAAAAAAAAAA/complete', {
      token: admin.token,
      body: { parts: [{ partNumber: 1, etag: '"x"', size: 5 }] },
    });
    expect(nested.status).toBe(400);
    expect(nested.body.error.details).toContainEqual({ path: 'parts.0.size', message: 'unknown field' });
  });

  it('documents every request body as closed (additionalProperties: false), nested objects included', () => {
    const open: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (Array.isArray(schema)) return schema.forEach((s, i) => walk(s, `${where}/${i}`));
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      if (s.type === 'object' && s.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(s)) walk(v, `${where}/${k}`);
    };
    const refs = new Set<string>();
    for (const item of Object.values<Record<string, any>>(doc.paths)) {
      for (const op of Object.values<any>(item)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (schema?.$ref) refs.add(schema.$ref.replace('#/components/schemas/', ''));
        else if (schema) walk(schema, `${op.operationId}`);
      }
    }
    expect(refs.size).toBeGreaterThan(8);
    for (const name of refs) walk(doc.components.schemas[name], name);
    expect(open).toEqual([]);
  });
});
