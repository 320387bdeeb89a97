import { z } from 'zod';
import { OPERATIONS, requests, type Operation } from './operations.js';
import { responses } from './schemas.js';

type Json = Record<string, unknown>;

const COMPONENT = (id: string) => `#/components/schemas/${id}`;

/** `/api/v1/videos/:id` → `/api/v1/videos/{id}`; a trailing `*` becomes `{path}`. */
export function openApiPath(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

/** JSON Schema 2020-12 (what OpenAPI 3.1 speaks) without the keys that only make sense at a document root. */
function clean(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** A registered schema as a `$ref`; anything else inline. */
function schemaRef(schema: z.ZodType, io: 'input' | 'output'): Json {
  const registry = io === 'input' ? requests : responses;
  const meta = registry.get(schema);
  if (meta) return { $ref: COMPONENT(meta.id) };
  // Registered schemas inside it come out as `$defs`: point them at the components instead.
  const { $defs: _defs, ...json } = clean(z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: registry }) as Json);
  return JSON.parse(JSON.stringify(json).replace(/"#\/\$defs\/([^"]+)"/g, (_m, id: string) => JSON.stringify(COMPONENT(id)))) as Json;
}

function componentSchemas(): Json {
  const convert = (registry: typeof requests | typeof responses, io: 'input' | 'output') =>
    Object.fromEntries(
      Object.entries((z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: COMPONENT }) as { schemas: Record<string, Json> }).schemas).map(
        ([id, s]) => [id, clean(s)],
      ),
    );
  return { ...convert(responses, 'output'), ...convert(requests, 'input') };
}

function parameters(op: Operation): Json[] {
  const out: Json[] = [];
  const add = (where: 'path' | 'query' | 'header', schema: z.ZodObject | undefined) => {
    if (!schema) return;
    for (const [name, field] of Object.entries(schema.shape) as Array<[string, z.ZodType]>) {
      const json = clean(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Json);
      const { description, ...fieldSchema } = json;
      out.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(typeof description === 'string' ? { description } : {}),
        schema: fieldSchema,
      });
    }
  };
  add('path', op.params);
  add('query', op.query);
  add('header', op.headers);
  // Path parameters the route has but no schema names (none today; keeps the document valid if one appears).
  for (const m of openApiPath(op.url).matchAll(/\{([^}]+)\}/g)) {
    if (!out.some((p) => p.in === 'path' && p.name === m[1])) out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  }
  return out;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input (`validation_failed`, `invalid_json`, `invalid_cursor`, …)',
  401: 'Not signed in, or the token is invalid, expired or revoked (`unauthorized`)',
  403: 'Not allowed (`forbidden`, `account_banned`, `user_blocked`, `comments_disabled`, `cannot_ban_admin`, `signature_*`)',
  404: 'Not found — or not visible to you, which looks the same',
  409: 'Conflict with the current state',
  413: 'Too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  422: 'Unprocessable content (`invalid_image`)',
  429: 'Too many requests (`rate_limited`, `upload_quota_exceeded`); see Retry-After',
  503: 'Unavailable',
};

function operationObject(op: Operation): Json {
  const errors = new Set(op.errors ?? []);
  if (op.params || op.query || op.headers || op.body) errors.add(400);
  if (op.auth !== 'none') errors.add(401);
  if (op.auth === 'admin') errors.add(403);
  if (op.rateLimit) errors.add(429);

  const responsesObj: Json = {};
  const okContent = op.ok.schema
    ? { content: { 'application/json': { schema: schemaRef(op.ok.schema, 'output') } } }
    : op.ok.contentType
      ? { content: { [op.ok.contentType]: { schema: {} } } }
      : {};
  responsesObj[String(op.ok.status)] = { description: op.ok.description, ...okContent };
  for (const status of [...errors].sort()) {
    responsesObj[String(status)] = {
      description: ERROR_TEXT[status] ?? 'Error',
      ...(status === 429
        ? { headers: { 'Retry-After': { description: 'Seconds until another try may succeed', schema: { type: 'integer' } } } }
        : {}),
      ...(status === 503 && op.url === '/readyz'
        ? { content: { 'application/json': { schema: { $ref: COMPONENT('Health') } } } }
        : { content: { 'application/json': { schema: { $ref: COMPONENT('Error') } } } }),
    };
  }

  const description = [op.description, op.rateLimit ? `Rate limited: ${op.rateLimit}.` : undefined].filter(Boolean).join('\n\n');
  const obj: Json = {
    operationId: `${op.method.toLowerCase()}${openApiPath(op.url)
      .replace(/\{([^}]+)\}/g, 'By_$1')
      .split(/[^A-Za-z0-9_]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('')}`,
    tags: [op.tag],
    summary: op.summary,
    ...(description ? { description } : {}),
    security: op.auth === 'none' ? [] : op.auth === 'optional' ? [{ bearer: [] }, {}] : [{ bearer: [] }],
    parameters: parameters(op),
    responses: responsesObj,
  };
  if (op.body) {
    obj.requestBody = { required: !op.bodyOptional, content: { 'application/json': { schema: schemaRef(op.body, 'input') } } };
  } else if (op.rawBody) {
    obj.requestBody = {
      required: true,
      description: op.rawBody.description,
      content: Object.fromEntries(op.rawBody.contentTypes.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }])),
    };
  }
  return obj;
}

const TAGS: Array<{ name: string; description: string }> = [
  { name: 'auth', description: 'Accounts and sessions (Authorization: Bearer <token>)' },
  { name: 'uploads', description: 'Direct uploads to storage through signed URLs' },
  { name: 'videos', description: 'Videos, their edits and processing status' },
  { name: 'feeds', description: 'The For You, public, following and trending feeds' },
  { name: 'profiles', description: 'Profiles and avatars' },
  { name: 'social', description: 'Follows, likes, bookmarks, shares, comments' },
  { name: 'events', description: 'Playback events and view counting' },
  { name: 'discovery', description: 'Search and hashtags' },
  { name: 'safety', description: 'Blocks and reports' },
  { name: 'admin', description: 'Moderation (admins only; `curta admin grant <username>`)' },
  { name: 'media', description: 'Renditions, avatars and the embedded storage endpoint (not JSON)' },
  { name: 'system', description: 'Health, metrics and this documentation' },
];

/** The OpenAPI 3.1 document for every operation in OPERATIONS. */
export function buildOpenApiDocument(serverUrl: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    const path = openApiPath(op.url);
    paths[path] ??= {};
    paths[path][op.method.toLowerCase()] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Curta API',
      version: '1',
      description:
        'Short-video service: uploads, adaptive HLS, feeds, social graph, discovery and safety. Errors are `{"error": {"code", "message"}}` with a stable code; a missing and a hidden resource answer the same 404.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl }],
    tags: TAGS,
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token from signup or login' } },
    },
  };
}
