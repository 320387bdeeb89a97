import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { DEVICE_ID_PATTERN } from '../lib/http/api-schemas.js';
import type { SqlExecutor } from '../ports/database.js';

/** How long a first answer is kept for retries. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** How long a request holds its key before a crash is presumed (creating POSTs take well under this). */
export const IDEMPOTENCY_LOCK_MS = 60_000;
/** Larger answers are not kept (creating routes answer far less). */
const MAX_STORED_BODY = 64 * 1024;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; contentType: string; body: string }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

/** JSON with object keys sorted at every depth: the same body however its fields were ordered. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Keys and first answers in the database, so every API process sees the same ones. */
export class IdempotencyStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly ttlMs: number = IDEMPOTENCY_TTL_MS,
    private readonly lockMs: number = IDEMPOTENCY_LOCK_MS,
  ) {}

  /**
   * Takes `key` for a request with this fingerprint, or says what holds it:
   * the first answer (same request, done), another request (a different
   * fingerprint), or the same request still running. Atomic: of concurrent
   * claims exactly one wins. An expired key, or one whose holder stopped
   * without answering (its lock lapsed), is taken over.
   */
  async claim(scope: string, key: string, fingerprint: string): Promise<Claim> {
    for (let tries = 0; tries < 3; tries++) {
      const taken = await this.db.query(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, state, locked_until, expires_at)
         VALUES ($1, $2, $3, 'in_flight', now() + $4 * interval '1 millisecond', now() + $5 * interval '1 millisecond')
         ON CONFLICT (scope, key) DO UPDATE SET
           fingerprint = EXCLUDED.fingerprint, state = 'in_flight', response_status = NULL, response_type = NULL,
           response_body = NULL, locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at, created_at = now()
         WHERE idempotency_keys.expires_at <= now()
            OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.locked_until <= now()
                AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
         RETURNING 1`,
        [scope, key, fingerprint, this.lockMs, this.ttlMs],
      );
      if (taken.rowCount > 0) return { kind: 'claimed' };
      const r = await this.db.query<{
        fingerprint: string;
        state: 'in_flight' | 'done';
        response_status: number | null;
        response_type: string | null;
        response_body: string | null;
      }>('SELECT fingerprint, state, response_status, response_type, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2', [
        scope,
        key,
      ]);
      const row = r.rows[0];
      // Released between the two statements (its request failed): try to take it again.
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.state === 'in_flight') return { kind: 'in_flight' };
      return {
        kind: 'replay',
        status: row.response_status ?? 200,
        contentType: row.response_type ?? 'application/json; charset=utf-8',
        body: row.response_body ?? '',
      };
    }
    return { kind: 'in_flight' };
  }

  async complete(scope: string, key: string, status: number, contentType: string, body: string): Promise<void> {
    await this.db.query(
      `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_type = $4, response_body = $5, locked_until = now()
       WHERE scope = $1 AND key = $2 AND state = 'in_flight'`,
      [scope, key, status, contentType, body],
    );
  }

  /** The request ended without an answer worth keeping: the key is free for the retry. */
  async release(scope: string, key: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_flight'`, [scope, key]);
  }

  async pruneExpired(): Promise<number> {
    return (await this.db.query('DELETE FROM idempotency_keys WHERE expires_at <= now()')).rowCount;
  }
}

/** Whose keys a request uses: the signed-in user's, or an anonymous device's. */
function scopeOf(request: FastifyRequest): string | null {
  if (request.user) return `user:${request.user.id}`;
  const device = request.headers['x-device-id'];
  return typeof device === 'string' && DEVICE_ID_PATTERN.test(device) ? `device:${device}` : null;
}

/**
 * `Idempotency-Key` on the routes that declare `idempotent: true` (creating
 * POSTs). Per caller and key, the first answer is kept for a day: a retry
 * with the same key and the same request (method, route, body) gets it again,
 * marked `Idempotent-Replayed: true`, and the handler does not run — no second
 * upload, no second charge to the quota. The same key with another request is
 * a 422 `idempotency_key_reused`; while the first is still running, a 409
 * `idempotency_key_in_use`. Answers a retry should not repeat are not kept:
 * 5xx, 429 (limits and quotas), and refusals before the handler ran (input,
 * auth), so a retry of those runs again.
 *
 * Runs after authentication and the rate limits (registered after them): a
 * replay still counts against the caller's limits.
 */
export function registerIdempotency(app: FastifyInstance, store: IdempotencyStore): void {
  const held = new WeakMap<FastifyRequest, { scope: string; key: string }>();

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config?.contract?.idempotent) return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new AppError('validation_failed', 'Idempotency-Key must be 1–255 visible ASCII characters (a UUID is a good choice).');
    }
    const scope = scopeOf(request);
    if (!scope) throw new AppError('validation_failed', 'Idempotency-Key needs a signed-in caller or an X-Device-Id to belong to.');
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url ?? ''}\n${canonicalJson(request.params)}\n${canonicalJson(request.body)}`)
      .digest('hex');
    const claim = await store.claim(scope, key, fingerprint);
    switch (claim.kind) {
      case 'claimed':
        held.set(request, { scope, key });
        return;
      case 'mismatch':
        throw new AppError(
          'idempotency_key_reused',
          'This Idempotency-Key was used for a different request (another body or route); use a new key for a new request.',
        );
      case 'in_flight':
        throw new AppError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry in a moment.', {
          retryAfter: 1,
        });
      case 'replay':
        return reply.code(claim.status).header('content-type', claim.contentType).header('idempotent-replayed', 'true').send(claim.body);
    }
  });

  // Before the answer leaves: a retry sent the moment it arrives already finds it.
  app.addHook('onSend', async (request, reply, payload) => {
    const mine = held.get(request);
    if (!mine) return payload;
    held.delete(request);
    const status = reply.statusCode;
    const keep = status < 500 && status !== 429 && typeof payload === 'string' && payload.length <= MAX_STORED_BODY;
    if (keep) {
      const type = reply.getHeader('content-type');
      await store.complete(mine.scope, mine.key, status, typeof type === 'string' ? type : 'application/json; charset=utf-8', payload);
    } else {
      await store.release(mine.scope, mine.key);
    }
    return payload;
  });
}

/** Workers delete expired keys hourly (an expired key is also taken over in place when reused). Returns the stopper. */
export function scheduleIdempotencyPrune(store: IdempotencyStore, log: Logger, intervalMs = 3600_000): () => Promise<void> {
  const prune = () => {
    store
      .pruneExpired()
      .then((n) => n > 0 && log.debug({ deleted: n }, 'idempotency: expired keys deleted'))
      .catch((err: unknown) => log.warn({ err }, 'idempotency: pruning expired keys failed'));
  };
  const timer = setInterval(prune, intervalMs);
  timer.unref();
  return async () => clearInterval(timer);
}
