import { z } from 'zod';
import { resolve } from 'node:path';

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
  VIDEO_MAX_DURATION_SEC: z.coerce.number().positive().default(600),
  JSON_BODY_LIMIT: int(1024).default(64 * 1024),

  WORKER_CONCURRENCY: int(1, 64).default(1),
  JOB_MAX_ATTEMPTS: int(1, 100).default(5),
  JOB_LEASE_MS: int(1000).default(30_000),
  TRANSCODE_TIMEOUT_SEC: int(10).default(1800),
  SESSION_TTL_DAYS: int(1, 3650).default(30),
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
  /** How often workers sweep for stranded or expired uploads; 0 turns the sweep off. */
  RECONCILE_INTERVAL_SEC: int(0, 86_400).default(30),

  /** Whether (and which) reverse proxies' X-Forwarded-For is believed for the client address that per-IP limits use. */
  TRUST_PROXY: trustProxy,
  /** Web origins whose pages may call the API from the browser (CORS); media and uploads answer every origin regardless. */
  CURTA_CORS_ORIGINS: corsOrigins,
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (the Prometheus scraper's credentials). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Rate limits: `<count>/<window>` or `off` (fixed windows, counted in the cache, so shared by every process on Redis). */
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
  /** Daily (UTC) upload quota per user; 0 = unlimited. */
  UPLOAD_DAILY_COUNT: int(0).default(50),
  UPLOAD_DAILY_BYTES: int(0).default(20 * 1024 ** 3),

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
  /** How often (ms) a process refreshes its in-memory candidate catalog (trending, trial exposure); publishes and withdrawals refresh it at once. */
  RECS_CATALOG_TTL_MS: int(100, 600_000).default(15_000),
});

export type Env = z.infer<typeof EnvSchema>;

/** Actions with rate limits; each is limited per user (login: per username) and per client address. */
export type RateLimitedAction = 'signup' | 'login' | 'comment' | 'like' | 'share' | 'report' | 'upload';

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
  cache: { kind: 'memory' } | { kind: 'redis'; url: string };
  storage:
    | { kind: 'fs'; dir: string }
    | { kind: 's3'; bucket: string; region: string; endpoint?: string; publicEndpoint?: string; forcePathStyle: boolean };
  /** Base URL that object keys (`media/…`) are appended to in URLs handed to players (no trailing slash). */
  mediaBaseUrl: string;
  media: {
    ffmpegPath: string;
    ffprobePath: string;
    maxDurationSec: number;
    transcodeTimeoutSec: number;
    workDir: string;
    privateUrlTtlSec: number;
    accelRedirectPrefix: string | null;
  };
  uploads: {
    maxBytes: number;
    multipartThreshold: number;
    partSize: number;
    urlTtlSec: number;
    /** Per user per UTC day; 0 = unlimited. */
    dailyCount: number;
    dailyBytes: number;
  };
  /** null = no limit of that kind. */
  rateLimits: Record<RateLimitedAction, { user: RateRule | null; ip: RateRule | null }>;
  jobs: { concurrency: number; maxAttempts: number; leaseMs: number; reconcileIntervalSec: number };
  auth: { sessionTtlDays: number };
  recs: {
    trainIntervalSec: number;
    trainWindowDays: number;
    modelPollSec: number;
    seenWindowHours: number;
    exploreShare: number;
    catalogTtlMs: number;
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
    cache: e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL } : { kind: 'memory' },
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
      transcodeTimeoutSec: e.TRANSCODE_TIMEOUT_SEC,
      workDir: resolve(dataDir, 'work'),
      privateUrlTtlSec: e.PRIVATE_MEDIA_URL_TTL_SEC,
      accelRedirectPrefix: e.MEDIA_ACCEL_REDIRECT ?? null,
    },
    uploads: {
      maxBytes: e.UPLOAD_MAX_BYTES,
      multipartThreshold: e.UPLOAD_MULTIPART_THRESHOLD,
      partSize: e.UPLOAD_PART_SIZE,
      urlTtlSec: e.UPLOAD_URL_TTL_SEC,
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
    },
    jobs: {
      concurrency: e.WORKER_CONCURRENCY,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      leaseMs: e.JOB_LEASE_MS,
      reconcileIntervalSec: e.RECONCILE_INTERVAL_SEC,
    },
    auth: { sessionTtlDays: e.SESSION_TTL_DAYS },
    recs: {
      trainIntervalSec: e.RECS_TRAIN_INTERVAL_SEC,
      trainWindowDays: e.RECS_TRAIN_WINDOW_DAYS,
      modelPollSec: e.RECS_MODEL_POLL_SEC,
      seenWindowHours: e.RECS_SEEN_WINDOW_HOURS,
      exploreShare: e.RECS_EXPLORE_SHARE,
      catalogTtlMs: e.RECS_CATALOG_TTL_MS,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): Readonly<T> {
  for (const v of Object.values(o as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}
