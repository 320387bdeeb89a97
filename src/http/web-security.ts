import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Read by @fastify/cors: `false` leaves the route out of the API's CORS policy. */
    cors?: false;
  }
}

/**
 * What a browser needs to know about this deployment: where the page is
 * served, where media and uploads live, which other origins may call the API.
 */
export interface WebSecurityOptions {
  /** The page's own address (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  /** Origins the page loads renditions, posters and avatars from (a CDN, the bucket's public URL). */
  mediaOrigins: readonly string[];
  /** Origins the page uploads to (signed PUTs: the API itself, or the S3 endpoint). */
  uploadOrigins: readonly string[];
  /** Origins whose pages may call the API (`['*']`: any); empty: same-origin only. */
  corsOrigins: readonly string[];
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/** Where browsers PUT presigned uploads for an S3 bucket: the public endpoint, virtual-hosted or path-style. */
function s3UploadOrigins(s: Extract<Config['storage'], { kind: 's3' }>): string[] {
  const endpoint = s.publicEndpoint ?? s.endpoint;
  if (endpoint) {
    const u = new URL(endpoint);
    return s.forcePathStyle ? [u.origin] : [u.origin, `${u.protocol}//${s.bucket}.${u.host}`];
  }
  // AWS itself: virtual-hosted names, and path-style for bucket names a certificate cannot cover (dots).
  return [`https://${s.bucket}.s3.${s.region}.amazonaws.com`, `https://s3.${s.region}.amazonaws.com`];
}

/** The browser-facing picture of a configuration. */
export function webSecurityOptions(config: Readonly<Config>): WebSecurityOptions {
  return {
    publicBaseUrl: config.http.publicBaseUrl,
    mediaOrigins: [originOf(config.mediaBaseUrl)],
    uploadOrigins: config.storage.kind === 's3' ? s3UploadOrigins(config.storage) : [originOf(config.http.publicBaseUrl)],
    corsOrigins: config.http.corsOrigins,
  };
}

const unique = (values: readonly string[]) => [...new Set(values)];

/**
 * The page's Content-Security-Policy. The web app is built by Vite with no
 * inline script or style (index.html loads hashed files from /assets; the
 * server only adds `<meta>` tags to it), so scripts and styles come from this
 * origin alone and an injected `<script>` or `onerror=` never runs. hls.js
 * plays through Media Source Extensions (`blob:` media) and transmuxes in a
 * `blob:` worker; playlists and segments are fetched (connect-src) from where
 * media lives, which may be another origin (MEDIA_BASE_URL: a CDN).
 */
export function contentSecurityPolicy(opts: WebSecurityOptions): Record<string, string[]> {
  const self = originOf(opts.publicBaseUrl);
  const media = unique([self, ...opts.mediaOrigins]);
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    // data: the inline SVG favicon; blob: a picked file's preview in the studio.
    'img-src': ["'self'", 'data:', 'blob:', ...media],
    'media-src': ["'self'", 'blob:', ...media],
    'connect-src': ["'self'", ...unique([...media, ...opts.uploadOrigins])],
    // 'self': the service worker (/sw.js); blob: hls.js's transmuxing worker.
    'worker-src': ["'self'", 'blob:'],
    // The web app manifest (/manifest.webmanifest) and its icons.
    'manifest-src': ["'self'"],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'frame-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  if (self.startsWith('https:')) directives['upgrade-insecure-requests'] = [];
  return directives;
}

/** Features the app never uses: a script that got in still cannot ask for them. */
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=()';

/**
 * Security headers on every answer (pages, API, assets, media, errors) and the
 * API's CORS policy. Register before any route: the exemption of media routes
 * from that policy marks the routes registered after it.
 */
export async function registerWebSecurity(app: FastifyInstance, opts: WebSecurityOptions): Promise<void> {
  const https = opts.publicBaseUrl.startsWith('https:');
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(opts) },
    // Nothing here is embedded cross-origin as a document; media answers widen CORP themselves (send-object.ts).
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // Page URLs (an unlisted video's /v/{id}) never leave the origin; a CDN's hotlink rule still sees the origin.
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // Only where the service is HTTPS; subdomains are the operator's business.
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  });
  app.addHook('onRequest', async (_request, reply) => {
    // Raw, like helmet's: hijacked answers (event streams) carry it too.
    reply.raw.setHeader('permissions-policy', PERMISSIONS_POLICY);
  });

  // The API's CORS: only the configured origins, and never with credentials (the API
  // authenticates with a bearer token, not cookies, so no origin rides on a user's session).
  const any = opts.corsOrigins.includes('*');
  await app.register(fastifyCors, {
    origin: any ? '*' : opts.corsOrigins.length > 0 ? [...opts.corsOrigins] : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Device-Id', 'X-Request-Id', 'If-None-Match'],
    exposedHeaders: ['Retry-After', 'ETag'],
    credentials: false,
    maxAge: 600,
  });
  // Media, avatars and the storage PUT keep their own policy: they answer any origin themselves
  // (players and uploaders live anywhere, send-object.ts), and an immutable rendition must not
  // vary by Origin in a CDN.
  app.addHook('onRoute', (route) => {
    if (ANY_ORIGIN_PREFIXES.some((prefix) => route.url.startsWith(prefix))) route.config = { ...route.config, cors: false };
  });
}

/** Routes whose answers are public objects for every origin (`Access-Control-Allow-Origin: *`, set by the routes). */
const ANY_ORIGIN_PREFIXES = ['/media/', '/avatars/', '/storage/'];
