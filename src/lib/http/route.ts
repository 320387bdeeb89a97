import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RateLimitedAction } from '../../config/config.js';
import type { PublicUser } from '../../modules/accounts/user.types.js';
import { cachePubliclyForAnonymous } from './cache-control.js';

/**
 * A route's contract, declared once next to its handler: method, URL, who may
 * call it, its rate limit, request schemas and the success response. From
 * this one declaration come the handler's types (`z.output` of each schema),
 * request validation (Zod, before the handler runs), response serialisation
 * (a compiled serializer built from the response schema) and the route's
 * operation in the OpenAPI document (src/http/openapi).
 */

/**
 * - `none`: anyone, signed in or not (documented without security).
 * - `optional`: anyone; a valid token makes `request.user` the caller.
 * - `user`: a signed-in caller (401 `unauthorized` otherwise, before the body is read).
 * - `admin`: a signed-in admin (and 403 `forbidden` for everyone else).
 */
export type RouteAuth = 'none' | 'optional' | 'user' | 'admin';

export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** The API's sections, in the order the document lists them. */
export const ROUTE_TAGS = {
  auth: 'Accounts and sessions (Authorization: Bearer <token>)',
  uploads: 'Direct uploads to storage through signed URLs',
  videos: 'Videos, their edits and processing status',
  feeds: 'The For You, public, following and trending feeds',
  profiles: 'Profiles and avatars',
  social: 'Follows, likes, bookmarks, shares, comments',
  events: 'Playback events and view counting',
  discovery: 'Search and hashtags',
  safety: 'Blocks and reports',
  analytics: 'Creator analytics of your own videos, from the data lake (aggregates only, never viewer identities)',
  admin: 'Moderation (admins only; `curta admin grant <username>`)',
  webhooks: 'Webhook endpoints and their deliveries (signed events about videos)',
  notifications: 'Your inbox: likes, comments, replies, mentions, followers, processing news; live over SSE',
  media: 'Renditions, avatars and the embedded storage endpoint (not JSON)',
  system: 'Health, metrics and this documentation',
} as const;
export type RouteTag = keyof typeof ROUTE_TAGS;

/** Error statuses a route documents besides the ones its declaration implies (400 with input, 401/403 by auth, 429 when rate limited). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 416 | 422 | 429 | 503 | 507;

/** A success answer that is not JSON (bytes, an event stream, a page). */
export interface RawResponse {
  contentType: string;
  description: string;
}

type SuccessStatus = 200 | 201 | 202 | 204;

type Out<S> = S extends z.ZodType ? z.output<S> : unknown;
type CallerOf<A extends RouteAuth> = A extends 'user' | 'admin' ? { user: PublicUser } : unknown;

/** The request a handler sees: validated params, query, body and headers, and the caller when the route requires one. */
export type RouteRequest<P, Q, B, H, A extends RouteAuth> = FastifyRequest<{
  Params: Out<P>;
  Querystring: Out<Q>;
  Body: Out<B>;
  Headers: Out<H>;
}> &
  CallerOf<A>;

/**
 * What a handler returns: the response body (sent with the route's status),
 * or the reply it answered itself; `void` for a handler that hijacked the
 * reply (an event stream).
 */
type HandlerResult<R> = R extends z.ZodType
  ? z.output<R> | FastifyReply
  : R extends RawResponse
    ? // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
      FastifyReply | undefined | void
    : undefined | FastifyReply;

export interface RouteSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
  R extends z.ZodType | RawResponse | null = z.ZodType | RawResponse | null,
  A extends RouteAuth = RouteAuth,
> {
  method: RouteMethod | RouteMethod[];
  /** The Fastify URL (`:param`, a trailing `*`). */
  url: string;
  /** The operation's name in the document and the generated client (`getVideo`, `listForYou`). */
  operationId: string;
  tag: RouteTag;
  summary: string;
  description: string;
  auth: A;
  /** The action whose per-user and per-IP limits this route counts against. */
  rateLimit?: RateLimitedAction;
  /**
   * A creating POST that honours `Idempotency-Key` (src/http/idempotency.ts): a retry with the
   * same key and body gets the first answer instead of creating a second thing.
   */
  idempotent?: boolean;
  params?: P;
  query?: Q;
  /** The JSON body. Its objects must be strict (registerRoutes refuses one that would drop unknown fields); a write route without one refuses any field. */
  body?: B;
  /** The JSON body may be left out (the handler then sees `undefined`). */
  bodyOptional?: boolean;
  /** A body that is not JSON (bytes): documented; the route parses it in its own scope. */
  rawBody?: { contentTypes: string[]; description: string };
  headers?: H;
  /**
   * `public-for-anonymous`: the answer is the same for every anonymous viewer,
   * so a shared cache (CDN, nginx) may keep it a few seconds; with credentials
   * it stays private. Unset: private, no-store.
   */
  cache?: 'public-for-anonymous';
  /** 200 unless said otherwise. */
  status?: SuccessStatus;
  /** The success body's schema; `null` for 204; a RawResponse for non-JSON answers. */
  response: R;
  errors?: ErrorStatus[];
  /** An error status whose body is not the usual `Error` (readiness answers 503 with its own shape). */
  errorBodies?: Partial<Record<ErrorStatus, z.ZodType>>;
  /** The route reads its own Authorization header (it is not a session token). */
  ownAuthorization?: boolean;
  handler: (request: RouteRequest<P, Q, B, H, A>, reply: FastifyReply) => Promise<HandlerResult<R>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of routes whose schemas differ
export type AnyRoute = RouteSpec<any, any, any, any, any, any>;

/** Declares a route (types flow from the schemas into the handler); `registerRoutes` adds it to a server. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
  R extends z.ZodType | RawResponse | null = null,
  A extends RouteAuth = RouteAuth,
>(spec: RouteSpec<P, Q, B, H, R, A>): AnyRoute {
  return spec as AnyRoute;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's declaration: what the session, rate-limit and document hooks read. */
    contract?: AnyRoute;
  }
}

export function isRawResponse(r: unknown): r is RawResponse {
  return typeof r === 'object' && r !== null && 'contentType' in r && !('_zod' in r);
}

const WRITE_METHODS: ReadonlySet<RouteMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The body of a write route that declares none: nothing, or `{}` — any field in it is unknown. */
const NO_BODY = z.strictObject({}).nullish();

/** The parts of a Zod schema's definition that can hold an object. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  valueType?: z.ZodType;
  items?: readonly z.ZodType[];
  rest?: z.ZodType | null;
  getter?: () => z.ZodType;
}

/**
 * Where a request body schema would silently drop fields it does not declare: the paths
 * of its objects that are not strict (`z.object` rather than `z.strictObject` / `.strict()`).
 */
export function lenientObjectsIn(schema: z.ZodType, path = 'body', seen = new Set<z.ZodType>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod.def as unknown as SchemaDef;
  const within = (s: z.ZodType | null | undefined, at = path) => (s ? lenientObjectsIn(s, at, seen) : []);
  switch (def.type) {
    case 'object':
      return [
        ...(def.catchall?._zod.def.type === 'never' ? [] : [path]),
        ...Object.entries(def.shape ?? {}).flatMap(([key, value]) => within(value, `${path}.${key}`)),
      ];
    case 'array':
      return within(def.element, `${path}[]`);
    case 'record':
      return within(def.valueType, `${path}.*`);
    case 'tuple':
      return [...(def.items ?? []).flatMap((item, i) => within(item, `${path}[${i}]`)), ...within(def.rest, `${path}[]`)];
    case 'union':
      return (def.options ?? []).flatMap((option) => within(option));
    case 'intersection':
      return [...within(def.left), ...within(def.right)];
    case 'pipe':
      // Both sides: a preprocess step hands the client's object on to `out`.
      return [...within(def.in), ...within(def.out)];
    case 'lazy':
      return within(def.getter?.());
    default:
      // optional, nullable, default, readonly, catch, …: the wrapped schema.
      return within(def.innerType);
  }
}

/** Fastify's `schema` for a route: what validation and serialisation read (the document reads the declaration). */
function fastifySchema(route: AnyRoute): Record<string, unknown> {
  // Raw answers (bytes, streams) are sent as they are: nothing to serialise.
  const json = route.response && !isRawResponse(route.response) ? (route.response as z.ZodType) : null;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  // A write without a declared body still refuses one with fields (a client that thinks it sends options learns it does not).
  const declared = route.body as z.ZodType | undefined;
  const body: z.ZodType | null = declared
    ? // Fastify hands a missing body over as null: an optional body reads as undefined.
      route.bodyOptional
      ? declared.nullish().transform((b) => b ?? undefined)
      : declared
    : !route.rawBody && methods.some((m) => WRITE_METHODS.has(m))
      ? NO_BODY
      : null;
  return {
    ...(route.params ? { params: route.params } : {}),
    ...(route.query ? { querystring: route.query } : {}),
    ...(body ? { body } : {}),
    ...(route.headers ? { headers: route.headers } : {}),
    ...(json ? { response: { [route.status ?? 200]: json } } : {}),
  };
}

/** Adds declared routes to a server (or a plugin scope). */
export function registerRoutes(app: FastifyInstance, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    const status = route.status ?? 200;
    // Unknown fields are refused, never dropped: a client sending `privacy` for `visibility` must hear about it.
    const lenient = route.body ? lenientObjectsIn(route.body as z.ZodType) : [];
    if (lenient.length > 0) {
      throw new Error(
        `${String(route.method)} ${route.url}: the body schema would silently drop unknown fields at ${lenient.join(', ')}; ` +
          'declare its objects with z.strictObject() or .strict()',
      );
    }
    app.route({
      method: route.method,
      url: route.url,
      schema: fastifySchema(route),
      config: { contract: route },
      handler: async (request, reply) => {
        const result: unknown = await route.handler(request as never, reply);
        if (route.cache === 'public-for-anonymous') cachePubliclyForAnonymous(request, reply);
        if (result === reply || reply.sent) return reply;
        if (isRawResponse(route.response)) return reply;
        if (status === 204 || route.response === null) return reply.code(status).send();
        return reply.code(status).send(result);
      },
    });
  }
}
