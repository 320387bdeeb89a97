import { z } from 'zod';
import { resolve } from 'node:path';
import { parseCidr } from '../lib/cidr.js';
import { parsePrices, type StoragePrices } from '../modules/archive/cost.js';

/**
 * The one place that reads the environment. Parsed once at start-up; a bad
 * variable stops the process with a message naming it.
 */
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** A rate limit: at most `limit` requests per fixed window of `windowSec` seconds. */
export interface RateRule {
  limit: number;
  windowSec: number;
}

const UNIT_SEC = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const RATE_RULE = /^(\d{1,9})\/(\d{1,6})([smhd])$/;

/** `<count>/<window>` (e.g. `30/1m`, `10/1h`; units s, m, h, d) or `off`; null means off. */
export function parseRateRule(raw: string): RateRule | null {
  const v = raw.trim().toLowerCase();
  if (v === 'off') return null;
  const m = RATE_RULE.exec(v);
  if (!m) throw new Error('must be "<count>/<window>" such as 30/1m or 10/1h (units s, m, h, d), or "off"');
  const limit = Number(m[1]);
  const windowSec = Number(m[2]) * UNIT_SEC[m[3] as keyof typeof UNIT_SEC];
  if (limit < 1 || windowSec < 1 || windowSec > 7 * 86_400) throw new Error('count must be ≥ 1 and the window between 1s and 7d');
  return { limit, windowSec };
}

const rateRule = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseRateRule(v ?? fallback);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/** Fastify's trustProxy: `true` (trust X-Forwarded-For), a hop count, or addresses/CIDRs of the proxies. */
const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): boolean | number | string => {
    if (v === undefined || v === 'false') return false;
    if (v === 'true') return true;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    if (/^[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*$/.test(v)) return v.replace(/\s+/g, '');
    ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count, or a comma-separated list of proxy addresses/CIDRs' });
    return z.NEVER;
  });

/** `*`, or a comma-separated list of origins (`https://app.example.com`); unset: none (same-origin only). */
const corsOrigins = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): readonly string[] => {
    if (!v) return [];
    if (v === '*') return ['*'];
    const origins: string[] = [];
    for (const raw of v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      let u: URL | null = null;
      try {
        u = new URL(raw);
      } catch {
        // reported below
      }
      if (!u || !['http:', 'https:'].includes(u.protocol) || u.username || u.password || u.pathname !== '/' || u.search || u.hash) {
        ctx.addIssue({
          code: 'custom',
          message: `"${raw}" is not an origin: write scheme://host[:port], e.g. https://app.example.com, or *`,
        });
        return z.NEVER;
      }
      origins.push(u.origin);
    }
    return origins;
  });

/** A comma-separated list of CIDRs or single addresses (IPv4 or IPv6). */
const cidrList = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): readonly string[] => {
    const entries = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const entry of entries) {
      try {
        parseCidr(entry);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not an address or CIDR (e.g. 10.0.0.0/8, fd00::/8, 192.0.2.10)` });
        return z.NEVER;
      }
    }
    return entries;
  });

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_BASE_URL: z.url().optional(),
  CURTA_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** HMAC key for signed upload and media URLs; unset (embedded only): kept in `<data dir>/signing-secret` (src/config/signing-secret.ts). */
  CURTA_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DB_POOL_MAX: int(1, 1000).default(10),
  DB_STATEMENT_TIMEOUT_MS: int(0).default(30_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Byte budget of the in-process cache (embedded default; Redis is bounded by its own maxmemory). */
  CACHE_MAX_BYTES: int(1024 ** 2).default(64 * 1024 ** 2),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: z.url().optional(),
  S3_PUBLIC_ENDPOINT: z.url().optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  /** Where players fetch renditions (`<base>/media/…`): the API itself, or a CDN in front of it or of the bucket. */
  MEDIA_BASE_URL: z.url().optional(),

  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),

  UPLOAD_MAX_BYTES: int(1).default(2 * 1024 ** 3),
  UPLOAD_MULTIPART_THRESHOLD: int(5 * 1024 ** 2).default(32 * 1024 ** 2),
  UPLOAD_PART_SIZE: int(5 * 1024 ** 2).default(16 * 1024 ** 2),
  UPLOAD_URL_TTL_SEC: int(30, 7 * 24 * 3600).default(3600),
  /**
   * Filesystem storage's signed-PUT route: a body that sends fewer than
   * UPLOAD_MIN_BYTES_PER_SEC × this many bytes in such a span (nothing at all, when
   * the minimum is 0) is cut and its temporary file removed (slow-loris bodies).
   */
  UPLOAD_BODY_TIMEOUT_SEC: int(1, 3600).default(30),
  UPLOAD_MIN_BYTES_PER_SEC: int(0, 1024 ** 3).default(4096),
  VIDEO_MAX_DURATION_SEC: z.coerce.number().positive().default(600),
  /** Decoded pixels per second (width × height × frame rate) a video may need; the default takes 8K30, 4K120 and 1080p240. */
  VIDEO_MAX_PIXEL_RATE: int(1).default(1_000_000_000),
  /** Decoded pixels a whole video may need (width × height × frame rate × duration); default: 4K60 for VIDEO_MAX_DURATION_SEC. */
  VIDEO_MAX_PIXEL_BUDGET: int(1).optional(),
  /** Avatars: refused from their header, before any decode, above this many pixels or this long a side. */
  AVATAR_MAX_PIXELS: int(1, 100_000_000).default(25_000_000),
  AVATAR_MAX_SIDE: int(16, 65_535).default(10_000),
  /** Image decodes (avatars) at once per process, and how many more may wait briefly for a slot (then 503). */
  IMAGE_DECODE_CONCURRENCY: int(1, 64).default(2),
  IMAGE_DECODE_QUEUE: int(0, 1000).default(8),
  JSON_BODY_LIMIT: int(1024).default(64 * 1024),

  WORKER_CONCURRENCY: int(1, 64).default(1),
  JOB_MAX_ATTEMPTS: int(1, 100).default(5),
  JOB_LEASE_MS: int(1000).default(30_000),
  TRANSCODE_TIMEOUT_SEC: int(10).default(1800),
  SESSION_TTL_DAYS: int(1, 3650).default(30),
  /** How long the username of a deleted account stays unavailable to new sign-ups; 0 = free again at once. */
  DELETED_USERNAME_HOLD_DAYS: int(0, 3650).default(30),
  /**
   * URL prefix of an nginx `internal` location aliased to the object folder: media
   * answers then carry `X-Accel-Redirect` and nginx sends the bytes (filesystem storage only).
   */
  MEDIA_ACCEL_REDIRECT: z
    .string()
    .regex(/^\/[A-Za-z0-9_/-]*\/$/, 'must be a path starting and ending with "/"')
    .optional(),
  /** Lifetime of signed URLs for renditions of followers-only, private and unpublished videos. */
  PRIVATE_MEDIA_URL_TTL_SEC: int(60, 7 * 24 * 3600).default(3600),
  /**
   * How long a shared cache (nginx, a CDN) may serve public media before revalidating with Curta (`s-maxage`):
   * how long a video made private, taken down or deleted may still be served from it. Browsers keep their year.
   */
  MEDIA_SHARED_MAX_AGE_SEC: int(1, 86_400).default(5),
  /**
   * How long a process reuses a viewer's standing (follows, blocks, ban, role) when answering their signed media URLs;
   * an unfollow, block or ban made through another process stops that viewer's media this late at most.
   */
  MEDIA_VIEWER_CACHE_MS: int(0, 60_000).default(2000),
  /** How often workers sweep for stranded or expired uploads; 0 turns the sweep off. */
  RECONCILE_INTERVAL_SEC: int(0, 86_400).default(30),
  /** How often workers sweep storage for objects of videos that no longer exist (originals/, media/); 0 turns it off. */
  STORAGE_SWEEP_INTERVAL_SEC: int(0, 7 * 86_400).default(3600),
  /** The sweep leaves objects written less than this long ago alone (uploads and deletions in flight). */
  STORAGE_SWEEP_GRACE_SEC: int(0, 30 * 86_400).default(3600),

  /** `curta worker`'s own HTTP port for /healthz, /readyz and /metrics; `off`: none (`curta start` serves them on PORT). */
  WORKER_HTTP_PORT: z.union([z.literal('off'), int(0, 65535)]).default(9464),
  /** Address the worker's port listens on; unset: HOST's. */
  WORKER_HTTP_HOST: z.string().min(1).optional(),
  /** How often workers run retention (finished jobs, dead sessions, old quota and username-hold rows); 0 = never. */
  RETENTION_INTERVAL_SEC: int(0, 7 * 86_400).default(3600),
  /** Days a finished (done) job is kept; 0 = deleted at the next run. */
  JOB_RETENTION_DAYS: int(0, 36_500).default(7),
  /** Days a dead job is kept for `curta jobs`; unset or 0: until discarded. */
  JOB_DEAD_RETENTION_DAYS: int(0, 36_500).default(0),
  /** Days a notification is kept after it last changed; 0 = forever. */
  NOTIFICATION_RETENTION_DAYS: int(0, 36_500).default(90),

  /** Whether (and which) reverse proxies' X-Forwarded-For is believed for the client address that per-IP limits use. */
  TRUST_PROXY: trustProxy,
  /** Web origins whose pages may call the API from the browser (CORS); media and uploads answer every origin regardless. */
  CURTA_CORS_ORIGINS: corsOrigins,
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (the Prometheus scraper's credentials). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Rate-limit counters in their own Redis (unset: REDIS_URL's, beside cached content; unset too: in-process). */
  RATE_LIMIT_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Most live counters the in-process limiter keeps (expired windows go first, then the oldest). */
  RATE_LIMIT_MAX_KEYS: int(1000).default(100_000),
  /** Open Server-Sent Events streams per signed-in user and per client address, in each process; 0 = no cap. */
  SSE_MAX_STREAMS_PER_USER: int(0).default(10),
  SSE_MAX_STREAMS_PER_IP: int(0).default(50),
  /** Rate limits: `<count>/<window>` or `off` (fixed windows in the limiter's store, so shared by every process on Redis). */
  RATE_LIMIT_SIGNUP_PER_IP: rateRule('20/1h'),
  RATE_LIMIT_LOGIN_PER_IP: rateRule('60/15m'),
  /** Failed logins per username (a correct password is never counted). */
  RATE_LIMIT_LOGIN_PER_USERNAME: rateRule('10/15m'),
  RATE_LIMIT_COMMENT_PER_USER: rateRule('30/1m'),
  RATE_LIMIT_COMMENT_PER_IP: rateRule('120/1m'),
  RATE_LIMIT_LIKE_PER_USER: rateRule('120/1m'),
  RATE_LIMIT_LIKE_PER_IP: rateRule('600/1m'),
  RATE_LIMIT_SHARE_PER_USER: rateRule('60/1m'),
  RATE_LIMIT_SHARE_PER_IP: rateRule('300/1m'),
  RATE_LIMIT_REPORT_PER_USER: rateRule('20/1h'),
  RATE_LIMIT_REPORT_PER_IP: rateRule('60/1h'),
  RATE_LIMIT_UPLOAD_PER_USER: rateRule('30/1h'),
  RATE_LIMIT_UPLOAD_PER_IP: rateRule('100/1h'),
  /** Playback event batches (`POST /api/v1/events`): the web player sends one every ~5 s while playing, and one on page hide. */
  RATE_LIMIT_EVENTS_PER_DEVICE: rateRule('60/1m'),
  RATE_LIMIT_EVENTS_PER_USER: rateRule('120/1m'),
  RATE_LIMIT_EVENTS_PER_IP: rateRule('300/1m'),
  /** New anonymous device ids one client address may bring per window; events of the others are kept but never count. */
  EVENTS_NEW_DEVICES_PER_IP: rateRule('20/1d'),
  /** Anonymous views one client address may add to one video per UTC day (signed-in viewers count once each). */
  EVENTS_ANON_VIEWS_PER_IP: int(1).default(5),
  /** Playback event batches one API process writes to PostgreSQL at once (more wait their turn): they update the same hot counter rows. */
  EVENTS_WRITE_CONCURRENCY: int(1, 1000).default(4),
  /** Hours playback events (and view records) stay in the OLTP table; 0 = forever. History lives in the lake (LAKE_*). */
  EVENTS_RETENTION_HOURS: int(0, 876_000).optional(),
  /** Older name of the window, in days: used when EVENTS_RETENTION_HOURS is unset. */
  EVENTS_RETENTION_DAYS: int(0, 36_500).optional(),
  /** The data lake (Firehose → S3): a delivery batch closes at this many events… */
  LAKE_BATCH_MAX_EVENTS: int(1, 10_000_000).default(100_000),
  /** …or at this many bytes of buffered rows (Firehose's buffer size)… */
  LAKE_BATCH_MAX_BYTES: int(1024).default(5 * 1024 ** 2),
  /** …or once its oldest event has waited this long (Firehose's buffer interval). */
  LAKE_BUFFER_MAX_AGE_SEC: int(1, 86_400).default(60),
  /** How often workers look at the buffer (a delivery also starts as soon as an API process sees a full batch); 0 = never deliver. */
  LAKE_DELIVERY_INTERVAL_SEC: int(0, 86_400).default(10),
  /** How often workers merge the small files of past hours' partitions; 0 = never. */
  LAKE_COMPACT_INTERVAL_SEC: int(0, 7 * 86_400).default(3600),
  /** Days of history the lake keeps (whole daily partitions deleted after); 0 = forever. */
  LAKE_RETENTION_DAYS: int(0, 365_000).default(0),
  /** Pre-lake history (events from before migration 0019) copied into the lake per delivery run, while the buffer is shallow; 0 = only by `curta lake backfill`. */
  LAKE_BACKFILL_BATCH_EVENTS: int(0, 10_000_000).default(100_000),
  /** How often workers delete expired events; 0 = never. */
  EVENTS_PRUNE_INTERVAL_SEC: int(0, 7 * 86_400).default(3600),
  /** Password changes and account deletions (each verifies the password, like a login). */
  RATE_LIMIT_ACCOUNT_PER_USER: rateRule('10/1h'),
  RATE_LIMIT_ACCOUNT_PER_IP: rateRule('30/1h'),
  /** Data exports (a ZIP of everything, originals included). */
  RATE_LIMIT_EXPORT_PER_USER: rateRule('5/1h'),
  RATE_LIMIT_EXPORT_PER_IP: rateRule('20/1h'),
  RATE_LIMIT_AVATAR_PER_USER: rateRule('20/1h'),
  RATE_LIMIT_AVATAR_PER_IP: rateRule('60/1h'),
  /** Searches and search suggestions (the search page asks for suggestions as you type, debounced). */
  RATE_LIMIT_SEARCH_PER_USER: rateRule('120/1m'),
  RATE_LIMIT_SEARCH_PER_IP: rateRule('600/1m'),
  /** Daily (UTC) upload quota per user; 0 = unlimited. */
  UPLOAD_DAILY_COUNT: int(0).default(50),
  UPLOAD_DAILY_BYTES: int(0).default(20 * 1024 ** 3),

  /** Webhook deliveries may go to private, loopback and link-local addresses (a receiver on the same host or network). */
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** Comma-separated CIDRs (or addresses) deliveries may reach although not public, e.g. `10.20.0.0/16,fd00:1::/64`. */
  WEBHOOK_ALLOWED_CIDRS: cidrList,
  /** One delivery attempt's deadline (connect, send, answer). */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  /** Attempts per delivery before it is given up (dead); retries wait WEBHOOK_RETRY_BASE_MS × 2^(n−1), at most WEBHOOK_RETRY_MAX_MS. */
  WEBHOOK_MAX_ATTEMPTS: int(1, 30).default(8),
  WEBHOOK_RETRY_BASE_MS: int(10, 86_400_000).default(30_000),
  WEBHOOK_RETRY_MAX_MS: int(10, 7 * 86_400_000).default(6 * 3600_000),
  /** Deliveries in flight at once per worker process. */
  WEBHOOK_CONCURRENCY: int(1, 64).default(4),

  /** Recommender: how often workers retrain the For You model (skipped when nothing new happened); 0 = only `curta recs train`. */
  RECS_TRAIN_INTERVAL_SEC: int(0, 7 * 86_400).default(600),
  /** How far back events train the model. */
  RECS_TRAIN_WINDOW_DAYS: int(1, 3650).default(90),
  /** How often API processes look for a newer model version (loaded without a restart). */
  RECS_MODEL_POLL_SEC: int(1, 3600).default(10),
  /** A video a viewer saw within this many hours is not shown to them again in For You. */
  RECS_SEEN_WINDOW_HOURS: int(0, 24 * 90).default(24),
  /** Share of For You slots given to new videos on trial (0–0.5). */
  RECS_EXPLORE_SHARE: z.coerce.number().min(0).max(0.5).default(0.15),
  /** How strongly a trial video's fit with a viewer's recent creators, hashtags and model items orders their exploration slots; 0 = topic-blind. */
  RECS_EXPLORE_TOPIC_WEIGHT: z.coerce.number().min(0).max(5).default(1.5),
  /** How often (ms) a process refreshes its in-memory candidate catalog (trending, trial exposure); publishes and withdrawals refresh it at once. */
  RECS_CATALOG_TTL_MS: int(100, 600_000).default(15_000),
  /** Self-tuning: holdout viewers each training run scores its candidates on, at most (0 = no search: production defaults). */
  RECS_TUNE_MAX_VIEWERS: int(0, 1_000_000).default(1000),
  /** Self-tuning: the EASE-graph candidates join the search on catalogs of at most this many videos (the fit is cubic: about 13 s CPU at 4,000); 0 = never. */
  RECS_TUNE_EASE_MAX_ITEMS: int(0, 20_000).default(4000),

  /** Admin dashboard: how long a storage sweep (a paged listing of the media prefixes) is reused before the next request sweeps again. */
  ADMIN_STORAGE_SWEEP_SEC: int(1, 7 * 86_400).default(900),
  /**
   * Storage prices for the cost report (`curta storage report`, the admin storage panel): JSON laid over the defaults,
   * AWS us-east-1 list prices (src/modules/archive/cost.ts), e.g. {"currency":"EUR","classes":{"STANDARD":{"gbMonth":0.021}}}.
   */
  STORAGE_PRICES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parsePrices(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Admin dashboard: how long lake figures for a range are reused while its live files are unchanged (new files recompute at once). */
  ADMIN_ANALYTICS_CACHE_SEC: int(1, 7 * 86_400).default(3600),
  /** Local copies of lake files and the lake's day aggregates (DuckDB reads local files); default <data dir>/lake-cache. */
  LAKE_CACHE_DIR: z.string().min(1).optional(),
  /** Bound of the local copies of lake files (least recently used go first). */
  LAKE_CACHE_MAX_BYTES: int(16 * 1024 * 1024).default(2 * 1024 ** 3),
  /** Creator analytics: breakdowns (retention curve, traffic sources) need at least this many distinct viewers. */
  ANALYTICS_MIN_VIEWERS: int(2, 1000).default(5),
  /** How long a computed analytics answer is cached (keyed by the lake's version of its range: new data is never hidden). */
  ANALYTICS_CACHE_TTL_SEC: int(1, 30 * 86_400).default(86_400),

  /** Cold archive (issue 15). Filesystem storage: where ARCHIVE objects live (can be another, cheaper disk); default <data dir>/archive. */
  STORAGE_ARCHIVE_DIR: z.string().min(1).optional(),
  /** Filesystem storage: seconds a restore of an archived object takes (so the states are exercised embedded, as Glacier's hours are). */
  STORAGE_ARCHIVE_RESTORE_DELAY_SEC: int(0, 7 * 86_400).default(0),
  /** S3 storage class of archived originals: GLACIER_IR (instant reads, no restore), GLACIER (Flexible Retrieval) or DEEP_ARCHIVE. */
  S3_ARCHIVE_STORAGE_CLASS: z.enum(['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE']).default('GLACIER_IR'),
  /** S3 RestoreObject tier: Expedited (minutes, not for DEEP_ARCHIVE), Standard (hours) or Bulk (cheapest, slowest). */
  ARCHIVE_RESTORE_TIER: z.enum(['Expedited', 'Standard', 'Bulk']).default('Standard'),
  /** Days a restored copy stays readable (S3 keeps it, and bills it, this long). */
  ARCHIVE_RESTORE_DAYS: int(1, 365).default(2),
  /** How often a restore in the retrieving phase asks the store (HeadObject) whether the copy is ready. */
  ARCHIVE_RESTORE_POLL_SEC: int(1, 86_400).default(60),
  /** Runs of a restore before it is given up (status back to archived, error recorded). */
  ARCHIVE_RESTORE_MAX_ATTEMPTS: int(1, 100).default(5),
  /** How often workers run the archive sweep; 0 turns it off (`curta archive sweep` still works). */
  ARCHIVE_SWEEP_INTERVAL_SEC: int(0, 30 * 86_400).default(86_400),
  /** Policy: a video is archived once nobody viewed it for this many days… */
  ARCHIVE_IDLE_DAYS: int(1, 100_000).default(180),
  /** …and it is at least this many days old. */
  ARCHIVE_MIN_AGE_DAYS: int(0, 100_000).default(365),
  /** Videos the sweep selects per batch (one query), and the most it archives in one run. */
  ARCHIVE_SWEEP_BATCH: int(1, 10_000).default(50),
  ARCHIVE_SWEEP_MAX_PER_RUN: int(1, 10_000_000).default(5000),
  /** Pause between two archived videos, so a sweep over a large catalog leaves the store and database to serving. */
  ARCHIVE_SWEEP_PAUSE_MS: int(0, 60_000).default(100),
  /** Restores a viewer (not the owner, not an admin) may start per hour, per account (or device) and per client address. */
  ARCHIVE_RESTORES_PER_USER_PER_HOUR: int(1, 100_000).default(5),
  ARCHIVE_RESTORES_PER_IP_PER_HOUR: int(1, 100_000).default(20),
});

export type Env = z.infer<typeof EnvSchema>;

/**
 * The default pixel budget per second of allowed duration: 3840×2160 at 60 fps,
 * with 2% of room so a 59.94/60.02 fps phone clip of exactly the longest
 * duration (or one frame more) still passes.
 */
const PIXELS_4K60_PER_SEC = 3840 * 2160 * 60 * 1.02;

/** Actions with rate limits; each is limited per user (login: per username) and per client address. */
export type RateLimitedAction =
  'signup' | 'login' | 'comment' | 'like' | 'share' | 'report' | 'upload' | 'events' | 'account' | 'export' | 'avatar' | 'search';

export interface Config {
  env: Env['NODE_ENV'];
  http: {
    host: string;
    port: number;
    publicBaseUrl: string;
    jsonBodyLimit: number;
    trustProxy: boolean | number | string;
    /** null: /metrics is open (keep it off the public internet at the proxy). */
    metricsToken: string | null;
    /** Origins allowed to call the API cross-origin (`['*']`: any); empty: same-origin only. */
    corsOrigins: readonly string[];
  };
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  /** HMAC key of signed upload and media URLs: CURTA_SIGNING_SECRET, or the data directory's (embedded). */
  signingSecret: string;
  database: { kind: 'pglite'; dir: string } | { kind: 'postgres'; url: string; poolMax: number; statementTimeoutMs: number };
  cache: { kind: 'memory'; maxBytes: number } | { kind: 'redis'; url: string };
  /**
   * Where rate-limit counters live: in-process (bounded by keys), the cache's Redis
   * (beside cached content), or a Redis of their own.
   */
  rateLimitStore: { kind: 'memory'; maxKeys: number } | { kind: 'cache' } | { kind: 'redis'; url: string };
  /** Open event streams per user and per client address in one process; 0 = no cap. */
  sse: { maxPerUser: number; maxPerAddress: number };
  storage:
    | { kind: 'fs'; dir: string }
    | { kind: 's3'; bucket: string; region: string; endpoint?: string; publicEndpoint?: string; forcePathStyle: boolean };
  /** Base URL that object keys (`media/…`) are appended to in URLs handed to players (no trailing slash). */
  mediaBaseUrl: string;
  media: {
    ffmpegPath: string;
    ffprobePath: string;
    maxDurationSec: number;
    /** width × height × fps of the source, and that times its duration (decode cost of one video). */
    maxPixelRate: number;
    maxPixelBudget: number;
    transcodeTimeoutSec: number;
    workDir: string;
    privateUrlTtlSec: number;
    /** `s-maxage` of public media answers (see MEDIA_SHARED_MAX_AGE_SEC). */
    sharedMaxAgeSec: number;
    /** How long a viewer's standing is reused for signed media in a process (0: read on every request). */
    viewerCacheMs: number;
    accelRedirectPrefix: string | null;
  };
  images: {
    /** Avatars larger than this (by their header) are refused before decoding. */
    maxPixels: number;
    maxSide: number;
    /** Decodes at once per process, and requests that may wait for one. */
    decodeConcurrency: number;
    decodeQueue: number;
  };
  uploads: {
    maxBytes: number;
    multipartThreshold: number;
    partSize: number;
    urlTtlSec: number;
    /** Signed-PUT bodies (filesystem storage): the span in which at least minBytesPerSec × bodyTimeoutSec bytes must arrive. */
    bodyTimeoutSec: number;
    minBytesPerSec: number;
    /** Per user per UTC day; 0 = unlimited. */
    dailyCount: number;
    dailyBytes: number;
  };
  /** null = no limit of that kind; `device`: per X-Device-Id, on routes that take one. */
  rateLimits: Record<RateLimitedAction, { user: RateRule | null; ip: RateRule | null; device?: RateRule | null }>;
  jobs: {
    concurrency: number;
    maxAttempts: number;
    leaseMs: number;
    reconcileIntervalSec: number;
    storageSweepIntervalSec: number;
    storageSweepGraceSec: number;
  };
  auth: { sessionTtlDays: number; deletedUsernameHoldDays: number };
  /** `curta worker`'s health and metrics listener; null: none. */
  workerHttp: { host: string; port: number } | null;
  /** Scheduled deletion of what has served its purpose (intervalSec 0: never); ages in days, null: kept. */
  retention: { intervalSec: number; jobDoneDays: number; jobDeadDays: number | null; notificationDays: number | null };
  events: {
    /** New anonymous device ids per client address per window (null: no cap). */
    newDevicesPerIp: RateRule | null;
    /** Anonymous views per client address, per video, per UTC day. */
    anonViewsPerIp: number;
    /** Event batches one process writes to PostgreSQL at once. */
    writeConcurrency: number;
    /** 0 = events are kept forever. */
    retentionHours: number;
    pruneIntervalSec: number;
  };
  /** The data lake: delivery batches (Firehose's buffer hints), compaction and history kept. */
  lake: {
    batchMaxEvents: number;
    batchMaxBytes: number;
    maxAgeSec: number;
    /** 0: this configuration never delivers. */
    deliveryIntervalSec: number;
    /** 0: never compacted. */
    compactIntervalSec: number;
    /** 0: kept forever. */
    retentionDays: number;
    /** Pre-lake events backfilled per delivery run; 0: only by `curta lake backfill`. */
    backfillBatchEvents: number;
  };
  webhooks: {
    allowPrivate: boolean;
    allowedCidrs: readonly string[];
    timeoutMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    concurrency: number;
  };
  recs: {
    trainIntervalSec: number;
    trainWindowDays: number;
    modelPollSec: number;
    seenWindowHours: number;
    exploreShare: number;
    exploreTopicWeight: number;
    catalogTtlMs: number;
    tuneMaxViewers: number;
    tuneEaseMaxItems: number;
  };
  adminAnalytics: {
    storageSweepSec: number;
    lakeCacheSec: number;
  };
  /** Prices of the cost report (STORAGE_PRICES over the AWS us-east-1 list prices). */
  storagePrices: StoragePrices;
  analytics: { cacheDir: string; cacheMaxBytes: number; minimumViewers: number; resultTtlSec: number };
  /** The cold archive: where archived objects go, the sweep's policy and pace, restores. */
  archive: {
    /** Filesystem storage only. */
    dir: string;
    restoreDelaySec: number;
    s3StorageClass: 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
    restoreTier: 'Expedited' | 'Standard' | 'Bulk';
    restoreDays: number;
    restorePollSec: number;
    restoreMaxAttempts: number;
    /** 0: no scheduled sweep. */
    sweepIntervalSec: number;
    idleDays: number;
    minAgeDays: number;
    sweepBatch: number;
    sweepMaxPerRun: number;
    sweepPauseMs: number;
    restoresPerUserPerHour: number;
    restoresPerIpPerHour: number;
  };
}

/**
 * What the environment says, before start-up fills in what it keeps on disk: the signing
 * secret is null when CURTA_SIGNING_SECRET is unset (the embedded profile), and
 * resolveSigningSecret (src/config/signing-secret.ts) reads or creates the data directory's.
 */
export type LoadedConfig = Omit<Config, 'signingSecret'> & { signingSecret: string | null };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default) into a frozen Config. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Readonly<LoadedConfig> {
  // Empty strings mean "unset", as in most .env conventions.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.UPLOAD_PART_SIZE > e.UPLOAD_MULTIPART_THRESHOLD) {
    throw new ConfigError('Invalid configuration:\n  UPLOAD_PART_SIZE: must not exceed UPLOAD_MULTIPART_THRESHOLD');
  }
  if (e.MEDIA_ACCEL_REDIRECT && e.S3_BUCKET) {
    throw new ConfigError(
      'Invalid configuration:\n  MEDIA_ACCEL_REDIRECT: only for filesystem storage (with S3, point MEDIA_BASE_URL at a CDN)',
    );
  }
  if (e.DATABASE_URL && !e.CURTA_SIGNING_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  CURTA_SIGNING_SECRET: required with DATABASE_URL (PostgreSQL): every process that shares the database must sign and verify ' +
        'upload and media URLs with the same key; set one value of at least 32 characters (e.g. `openssl rand -hex 32`) on every process',
    );
  }
  // The OLTP events table keeps what serving reads (a viewer's recent history, today's view records); history
  // is in the lake, which every event reaches through lake_buffer whatever this window says.
  const retentionHours = e.EVENTS_RETENTION_HOURS ?? (e.EVENTS_RETENTION_DAYS !== undefined ? e.EVENTS_RETENTION_DAYS * 24 : 48);
  if (retentionHours !== 0 && retentionHours < 24) {
    const name = e.EVENTS_RETENTION_HOURS !== undefined ? 'EVENTS_RETENTION_HOURS' : 'EVENTS_RETENTION_DAYS';
    throw new ConfigError(
      `Invalid configuration:\n  ${name}: must be 0 (keep forever) or at least 24 hours (a view counts once per viewer and UTC day: today's view records must stay)`,
    );
  }
  const dataDir = resolve(e.CURTA_DATA_DIR);
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const config: LoadedConfig = {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicBaseUrl,
      jsonBodyLimit: e.JSON_BODY_LIMIT,
      trustProxy: e.TRUST_PROXY,
      metricsToken: e.METRICS_TOKEN ?? null,
      corsOrigins: e.CURTA_CORS_ORIGINS,
    },
    dataDir,
    logLevel: e.LOG_LEVEL,
    signingSecret: e.CURTA_SIGNING_SECRET ?? null,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS }
      : { kind: 'pglite', dir: resolve(dataDir, 'db') },
    cache: e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL } : { kind: 'memory', maxBytes: e.CACHE_MAX_BYTES },
    rateLimitStore: e.RATE_LIMIT_REDIS_URL
      ? { kind: 'redis', url: e.RATE_LIMIT_REDIS_URL }
      : e.REDIS_URL
        ? { kind: 'cache' }
        : { kind: 'memory', maxKeys: e.RATE_LIMIT_MAX_KEYS },
    sse: { maxPerUser: e.SSE_MAX_STREAMS_PER_USER, maxPerAddress: e.SSE_MAX_STREAMS_PER_IP },
    storage: e.S3_BUCKET
      ? {
          kind: 's3',
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          ...(e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT.replace(/\/+$/, '') } : {}),
          ...(e.S3_PUBLIC_ENDPOINT ? { publicEndpoint: e.S3_PUBLIC_ENDPOINT.replace(/\/+$/, '') } : {}),
        }
      : { kind: 'fs', dir: resolve(dataDir, 'objects') },
    mediaBaseUrl: (e.MEDIA_BASE_URL ?? publicBaseUrl).replace(/\/+$/, ''),
    media: {
      ffmpegPath: e.FFMPEG_PATH,
      ffprobePath: e.FFPROBE_PATH,
      maxDurationSec: e.VIDEO_MAX_DURATION_SEC,
      maxPixelRate: e.VIDEO_MAX_PIXEL_RATE,
      maxPixelBudget: e.VIDEO_MAX_PIXEL_BUDGET ?? Math.round(PIXELS_4K60_PER_SEC * e.VIDEO_MAX_DURATION_SEC),
      transcodeTimeoutSec: e.TRANSCODE_TIMEOUT_SEC,
      workDir: resolve(dataDir, 'work'),
      privateUrlTtlSec: e.PRIVATE_MEDIA_URL_TTL_SEC,
      sharedMaxAgeSec: e.MEDIA_SHARED_MAX_AGE_SEC,
      viewerCacheMs: e.MEDIA_VIEWER_CACHE_MS,
      accelRedirectPrefix: e.MEDIA_ACCEL_REDIRECT ?? null,
    },
    images: {
      maxPixels: e.AVATAR_MAX_PIXELS,
      maxSide: e.AVATAR_MAX_SIDE,
      decodeConcurrency: e.IMAGE_DECODE_CONCURRENCY,
      decodeQueue: e.IMAGE_DECODE_QUEUE,
    },
    uploads: {
      maxBytes: e.UPLOAD_MAX_BYTES,
      multipartThreshold: e.UPLOAD_MULTIPART_THRESHOLD,
      partSize: e.UPLOAD_PART_SIZE,
      urlTtlSec: e.UPLOAD_URL_TTL_SEC,
      bodyTimeoutSec: e.UPLOAD_BODY_TIMEOUT_SEC,
      minBytesPerSec: e.UPLOAD_MIN_BYTES_PER_SEC,
      dailyCount: e.UPLOAD_DAILY_COUNT,
      dailyBytes: e.UPLOAD_DAILY_BYTES,
    },
    rateLimits: {
      signup: { user: null, ip: e.RATE_LIMIT_SIGNUP_PER_IP },
      login: { user: e.RATE_LIMIT_LOGIN_PER_USERNAME, ip: e.RATE_LIMIT_LOGIN_PER_IP },
      comment: { user: e.RATE_LIMIT_COMMENT_PER_USER, ip: e.RATE_LIMIT_COMMENT_PER_IP },
      like: { user: e.RATE_LIMIT_LIKE_PER_USER, ip: e.RATE_LIMIT_LIKE_PER_IP },
      share: { user: e.RATE_LIMIT_SHARE_PER_USER, ip: e.RATE_LIMIT_SHARE_PER_IP },
      report: { user: e.RATE_LIMIT_REPORT_PER_USER, ip: e.RATE_LIMIT_REPORT_PER_IP },
      upload: { user: e.RATE_LIMIT_UPLOAD_PER_USER, ip: e.RATE_LIMIT_UPLOAD_PER_IP },
      events: { user: e.RATE_LIMIT_EVENTS_PER_USER, ip: e.RATE_LIMIT_EVENTS_PER_IP, device: e.RATE_LIMIT_EVENTS_PER_DEVICE },
      account: { user: e.RATE_LIMIT_ACCOUNT_PER_USER, ip: e.RATE_LIMIT_ACCOUNT_PER_IP },
      export: { user: e.RATE_LIMIT_EXPORT_PER_USER, ip: e.RATE_LIMIT_EXPORT_PER_IP },
      avatar: { user: e.RATE_LIMIT_AVATAR_PER_USER, ip: e.RATE_LIMIT_AVATAR_PER_IP },
      search: { user: e.RATE_LIMIT_SEARCH_PER_USER, ip: e.RATE_LIMIT_SEARCH_PER_IP },
    },
    jobs: {
      concurrency: e.WORKER_CONCURRENCY,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      leaseMs: e.JOB_LEASE_MS,
      reconcileIntervalSec: e.RECONCILE_INTERVAL_SEC,
      storageSweepIntervalSec: e.STORAGE_SWEEP_INTERVAL_SEC,
      storageSweepGraceSec: e.STORAGE_SWEEP_GRACE_SEC,
    },
    auth: { sessionTtlDays: e.SESSION_TTL_DAYS, deletedUsernameHoldDays: e.DELETED_USERNAME_HOLD_DAYS },
    workerHttp: e.WORKER_HTTP_PORT === 'off' ? null : { host: e.WORKER_HTTP_HOST ?? e.HOST, port: e.WORKER_HTTP_PORT },
    retention: {
      intervalSec: e.RETENTION_INTERVAL_SEC,
      jobDoneDays: e.JOB_RETENTION_DAYS,
      jobDeadDays: e.JOB_DEAD_RETENTION_DAYS === 0 ? null : e.JOB_DEAD_RETENTION_DAYS,
      notificationDays: e.NOTIFICATION_RETENTION_DAYS === 0 ? null : e.NOTIFICATION_RETENTION_DAYS,
    },
    events: {
      newDevicesPerIp: e.EVENTS_NEW_DEVICES_PER_IP,
      anonViewsPerIp: e.EVENTS_ANON_VIEWS_PER_IP,
      writeConcurrency: e.EVENTS_WRITE_CONCURRENCY,
      retentionHours,
      pruneIntervalSec: e.EVENTS_PRUNE_INTERVAL_SEC,
    },
    lake: {
      batchMaxEvents: e.LAKE_BATCH_MAX_EVENTS,
      batchMaxBytes: e.LAKE_BATCH_MAX_BYTES,
      maxAgeSec: e.LAKE_BUFFER_MAX_AGE_SEC,
      deliveryIntervalSec: e.LAKE_DELIVERY_INTERVAL_SEC,
      compactIntervalSec: e.LAKE_COMPACT_INTERVAL_SEC,
      retentionDays: e.LAKE_RETENTION_DAYS,
      backfillBatchEvents: e.LAKE_BACKFILL_BATCH_EVENTS,
    },
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      allowedCidrs: e.WEBHOOK_ALLOWED_CIDRS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.WEBHOOK_RETRY_MAX_MS, e.WEBHOOK_RETRY_BASE_MS),
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    recs: {
      trainIntervalSec: e.RECS_TRAIN_INTERVAL_SEC,
      trainWindowDays: e.RECS_TRAIN_WINDOW_DAYS,
      modelPollSec: e.RECS_MODEL_POLL_SEC,
      seenWindowHours: e.RECS_SEEN_WINDOW_HOURS,
      exploreShare: e.RECS_EXPLORE_SHARE,
      exploreTopicWeight: e.RECS_EXPLORE_TOPIC_WEIGHT,
      catalogTtlMs: e.RECS_CATALOG_TTL_MS,
      tuneMaxViewers: e.RECS_TUNE_MAX_VIEWERS,
      tuneEaseMaxItems: e.RECS_TUNE_EASE_MAX_ITEMS,
    },
    adminAnalytics: {
      storageSweepSec: e.ADMIN_STORAGE_SWEEP_SEC,
      lakeCacheSec: e.ADMIN_ANALYTICS_CACHE_SEC,
    },
    storagePrices: e.STORAGE_PRICES,
    analytics: {
      cacheDir: resolve(e.LAKE_CACHE_DIR ?? resolve(dataDir, 'lake-cache')),
      cacheMaxBytes: e.LAKE_CACHE_MAX_BYTES,
      minimumViewers: e.ANALYTICS_MIN_VIEWERS,
      resultTtlSec: e.ANALYTICS_CACHE_TTL_SEC,
    },
    archive: {
      dir: resolve(e.STORAGE_ARCHIVE_DIR ?? resolve(dataDir, 'archive')),
      restoreDelaySec: e.STORAGE_ARCHIVE_RESTORE_DELAY_SEC,
      s3StorageClass: e.S3_ARCHIVE_STORAGE_CLASS,
      restoreTier: e.ARCHIVE_RESTORE_TIER,
      restoreDays: e.ARCHIVE_RESTORE_DAYS,
      restorePollSec: e.ARCHIVE_RESTORE_POLL_SEC,
      restoreMaxAttempts: e.ARCHIVE_RESTORE_MAX_ATTEMPTS,
      sweepIntervalSec: e.ARCHIVE_SWEEP_INTERVAL_SEC,
      idleDays: e.ARCHIVE_IDLE_DAYS,
      minAgeDays: e.ARCHIVE_MIN_AGE_DAYS,
      sweepBatch: e.ARCHIVE_SWEEP_BATCH,
      sweepMaxPerRun: e.ARCHIVE_SWEEP_MAX_PER_RUN,
      sweepPauseMs: e.ARCHIVE_SWEEP_PAUSE_MS,
      restoresPerUserPerHour: e.ARCHIVE_RESTORES_PER_USER_PER_HOUR,
      restoresPerIpPerHour: e.ARCHIVE_RESTORES_PER_IP_PER_HOUR,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): Readonly<T> {
  for (const v of Object.values(o as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}
