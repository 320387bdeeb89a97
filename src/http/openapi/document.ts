import type { RouteOptions } from 'fastify';
import type { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import { isRawResponse, ROUTE_TAGS, type AnyRoute, type ErrorStatus } from '../../lib/http/route.js';
import { statusFor } from '../error-map.js';
import { COMPONENT, componentSchemas, documentSchema } from '../json-schema.js';

type Json = Record<string, unknown>;

/** `/api/v1/videos/:id` → `/api/v1/videos/{id}`; a trailing `*` becomes `{path}`. */
export function openApiPath(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

const STATUS_TEXT: Record<ErrorStatus, string> = {
  400: 'Invalid input',
  401: 'Not signed in, or the token is invalid, expired or revoked',
  403: 'Not allowed',
  404: 'Not found — or not visible to you, which looks the same',
  408: 'The request body came too slowly',
  409: 'Conflict with the current state',
  413: 'Too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  422: 'Unprocessable content',
  429: 'Too many requests; see Retry-After',
  503: 'Unavailable',
  507: 'Out of storage space; try again later',
};

/** The codes an error status can carry, from the one code → status table. */
function codesFor(status: number): ErrorCode[] {
  return ERROR_CODES.filter((code) => statusFor(code) === status);
}

function errorStatuses(route: AnyRoute): ErrorStatus[] {
  const out = new Set<ErrorStatus>(route.errors ?? []);
  if (route.params || route.query || route.headers || route.body) out.add(400);
  if (route.auth === 'user' || route.auth === 'admin') out.add(401);
  if (route.auth === 'admin') out.add(403);
  if (route.rateLimit) out.add(429);
  if (route.idempotent) {
    out.add(409);
    out.add(422);
  }
  return [...out].sort((a, b) => a - b);
}

/** What a rate-limited route's answers carry (src/http/rate-limit.ts). */
const RATE_LIMIT_HEADERS: Json = {
  'RateLimit-Policy': {
    type: 'string',
    description: 'The limits this request counted against (IETF draft structured field), e.g. `"comment-user";q=30;w=60`',
  },
  RateLimit: { type: 'string', description: 'What is left of each, e.g. `"comment-user";r=29;t=42` (remaining, seconds to reset)' },
};

function errorResponse(status: ErrorStatus, body: z.ZodType | undefined, rateLimited = false): Json {
  const codes = body ? [] : codesFor(status);
  return {
    description: `${STATUS_TEXT[status]}${codes.length ? ` (${codes.map((c) => `\`${c}\``).join(', ')})` : ''}`,
    ...(status === 429
      ? {
          headers: {
            'Retry-After': { type: 'integer', description: 'Seconds until another try may succeed' },
            ...(rateLimited ? RATE_LIMIT_HEADERS : {}),
          },
        }
      : {}),
    content: { 'application/json': { schema: body ? documentSchema(body, 'output') : { $ref: COMPONENT('Error') } } },
  };
}

/** A parameters object (`params`, `query`, `headers`) as JSON Schema for @fastify/swagger to split into parameters. */
function parameterSchema(schema: z.ZodType): Json {
  const json = documentSchema(schema, 'input');
  // A wildcard's `*` is named `path` in the document, like its URL.
  const props = json.properties as Json | undefined;
  if (props && '*' in props) {
    const { '*': rest, ...others } = props;
    json.properties = { ...others, path: rest };
    json.required = ((json.required as string[] | undefined) ?? []).map((n) => (n === '*' ? 'path' : n));
  }
  return json;
}

/**
 * @fastify/swagger's per-route transform: the route's Zod schemas become JSON
 * Schema, and what the declaration implies (errors, security, rate limit)
 * becomes part of the operation.
 */
export function transformRoute({ url, route }: { url: string; route: RouteOptions }): { schema: Json; url: string } {
  const contract = route.config?.contract;
  if (!contract) return { schema: { hide: true }, url };
  const status = contract.status ?? 200;
  const responses: Json = {};
  if (isRawResponse(contract.response)) {
    responses[status] = { description: contract.response.description, content: { [contract.response.contentType]: { schema: {} } } };
  } else if (contract.response) {
    const body = contract.response as z.ZodType;
    responses[status] = { ...documentSchema(body, 'output'), description: status === 201 ? 'Created' : status === 202 ? 'Accepted' : 'OK' };
  } else {
    responses[status] = { type: 'null', description: 'Done (no body)' };
  }
  if (contract.rateLimit) (responses[status] as Json).headers = RATE_LIMIT_HEADERS;
  for (const s of errorStatuses(contract)) responses[s] = errorResponse(s, contract.errorBodies?.[s], Boolean(contract.rateLimit));
  const notes = [
    contract.description,
    contract.rateLimit ? `Rate limited: the \`${contract.rateLimit}\` limits (\`RATE_LIMIT_${contract.rateLimit.toUpperCase()}_*\`).` : '',
    contract.idempotent
      ? 'Send `Idempotency-Key` to make retries safe: the same key and request within 24 h get the first answer again ' +
        '(`Idempotent-Replayed: true`), another request under the key is a 422 `idempotency_key_reused`, and one still running a 409.'
      : '',
    contract.cache === 'public-for-anonymous'
      ? 'Anonymous answers are the same for everyone: shared caches may keep them a few seconds (`Vary: Authorization`).'
      : '',
  ];
  const out: Json = {
    operationId: contract.operationId,
    tags: [contract.tag],
    summary: contract.summary,
    description: notes.filter(Boolean).join('\n\n'),
    security: contract.auth === 'none' ? [] : contract.auth === 'optional' ? [{ bearer: [] }, {}] : [{ bearer: [] }],
    response: responses,
  };
  if (contract.params) out.params = parameterSchema(contract.params as z.ZodType);
  if (contract.query) out.querystring = parameterSchema(contract.query as z.ZodType);
  if (contract.headers) out.headers = parameterSchema(contract.headers as z.ZodType);
  if (contract.idempotent) {
    const headers = (out.headers ?? { type: 'object', properties: {} }) as Json & { properties: Json };
    headers.properties = {
      ...headers.properties,
      'idempotency-key': {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'Makes a retry return the first answer instead of acting twice (a UUID per operation; kept 24 h)',
      },
    };
    out.headers = headers;
  }
  if (contract.body) out.body = documentSchema(contract.body as z.ZodType, 'input');
  return { schema: out, url: openApiPath(url) };
}

/** What the transform cannot say per route: optional and raw bodies, components, tags, security schemes. */
export function finishDocument(doc: Json, routes: readonly AnyRoute[]): Json {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  for (const route of routes) {
    const item = paths[openApiPath(route.url)];
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (!item?.[method.toLowerCase()]) continue;
      // Methods of one declaration share one operation object: each gets its own copy.
      const op: Json = { ...item[method.toLowerCase()] };
      item[method.toLowerCase()] = op;
      // One declaration for GET and HEAD: the HEAD twin gets its own name (`getMedia` → `headMedia`).
      if (method === 'HEAD' && Array.isArray(route.method)) op.operationId = `head${route.operationId.replace(/^get/, '')}`;
      if (route.bodyOptional && op.requestBody) (op.requestBody as Json).required = false;
      if (route.rawBody) {
        op.requestBody = {
          required: true,
          description: route.rawBody.description,
          content: Object.fromEntries(route.rawBody.contentTypes.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }])),
        };
      }
    }
  }
  return {
    ...doc,
    tags: Object.entries(ROUTE_TAGS).map(([name, description]) => ({ name, description })),
    components: {
      ...(doc.components as Json | undefined),
      schemas: componentSchemas(),
    },
  };
}
