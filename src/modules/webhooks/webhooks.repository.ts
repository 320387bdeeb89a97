import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql } from '../../lib/pagination.js';
import type { Database, SqlExecutor } from '../../ports/database.js';

export interface EndpointRow {
  id: string;
  owner_id: string | null;
  url: string;
  description: string;
  events: string[];
  secret: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date | null;
  redelivery_of: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: Date;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
}

/** Who is asking: an endpoint is theirs, or an operator's one and they are an admin. */
export interface EndpointViewer {
  userId: string;
  admin: boolean;
}

const VISIBLE = '(e.owner_id = $1 OR (e.owner_id IS NULL AND $2::boolean))';

export interface NewDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
  maxAttempts: number;
  redeliveryOf?: string;
}

/** Events fanned out by one dispatch run: the deliveries it created. */
export interface Dispatched {
  events: number;
  deliveries: Array<{ id: string; endpointId: string }>;
}

export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  async insertEndpoint(e: Omit<EndpointRow, 'created_at' | 'updated_at'> & { created_by: string }): Promise<EndpointRow> {
    const r = await this.db.query<EndpointRow>(
      `INSERT INTO webhook_endpoints (id, owner_id, created_by, url, description, events, secret, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [e.id, e.owner_id, e.created_by, e.url, e.description, e.events, e.secret, e.enabled],
    );
    return r.rows[0]!;
  }

  async countOwned(ownerId: string | null): Promise<number> {
    const r = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_endpoints WHERE owner_id IS NOT DISTINCT FROM $1',
      [ownerId],
    );
    return r.rows[0]?.n ?? 0;
  }

  async getVisible(id: string, viewer: EndpointViewer): Promise<EndpointRow | null> {
    const r = await this.db.query<EndpointRow>(`SELECT e.* FROM webhook_endpoints e WHERE ${VISIBLE} AND e.id = $3`, [
      viewer.userId,
      viewer.admin,
      id,
    ]);
    return r.rows[0] ?? null;
  }

  async listVisible(viewer: EndpointViewer, limit: number, after?: KeysetCursor): Promise<EndpointRow[]> {
    const page = keysetSql({ time: 'e.created_at', id: 'e.id' }, after, [viewer.userId, viewer.admin, limit]);
    const r = await this.db.query<EndpointRow>(
      `SELECT e.* FROM webhook_endpoints e WHERE ${VISIBLE}${page.and} ORDER BY ${page.orderBy} LIMIT $3`,
      page.params,
    );
    return r.rows;
  }

  async update(
    id: string,
    patch: { url?: string; events?: string[]; description?: string; enabled?: boolean; secret?: string },
  ): Promise<EndpointRow | null> {
    const cols = Object.entries(patch).filter(([, v]) => v !== undefined);
    const sets = cols.map(([c], i) => `${c} = $${i + 2}`);
    const r = await this.db.query<EndpointRow>(
      `UPDATE webhook_endpoints SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING *`,
      [id, ...cols.map(([, v]) => v)],
    );
    return r.rows[0] ?? null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM webhook_endpoints WHERE id = $1', [id])).rowCount > 0;
  }

  /**
   * The outbox relay: takes up to `limit` undispatched events (skipping those
   * another process is dispatching), creates a delivery for every enabled
   * endpoint subscribed to each — an operator's endpoint for every video, a
   * user's for their own — and marks the events dispatched, all in the
   * caller's transaction (with the jobs it enqueues for the deliveries).
   */
  async dispatch(tx: SqlExecutor, limit: number, maxAttempts: number, newId: () => string): Promise<Dispatched & { rows: NewDelivery[] }> {
    const events = await tx.query<{ id: string; type: string; owner_id: string | null; data: unknown; created_at: Date }>(
      `SELECT id, type, owner_id, data, created_at FROM webhook_events WHERE dispatched_at IS NULL
       ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    const rows: NewDelivery[] = [];
    for (const ev of events.rows) {
      const endpoints = await tx.query<{ id: string }>(
        `SELECT id FROM webhook_endpoints WHERE enabled AND $1 = ANY (events) AND (owner_id IS NULL OR owner_id = $2) ORDER BY id`,
        [ev.type, ev.owner_id],
      );
      if (endpoints.rows.length === 0) continue;
      const body = JSON.stringify({ id: ev.id, type: ev.type, createdAt: new Date(ev.created_at).toISOString(), data: ev.data });
      for (const ep of endpoints.rows) {
        rows.push({ id: newId(), endpointId: ep.id, eventId: ev.id, eventType: ev.type, body, maxAttempts });
      }
    }
    for (const d of rows) await this.insertDelivery(d, tx);
    if (events.rows.length > 0) {
      await tx.query('UPDATE webhook_events SET dispatched_at = now() WHERE id = ANY($1::text[])', [events.rows.map((e) => e.id)]);
    }
    return { events: events.rows.length, deliveries: rows.map((d) => ({ id: d.id, endpointId: d.endpointId })), rows };
  }

  async insertDelivery(d: NewDelivery, executor: SqlExecutor = this.db): Promise<void> {
    await executor.query(
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, body, max_attempts, next_attempt_at, redelivery_of)
       VALUES ($1, $2, $3, $4, $5, $6, now(), $7)`,
      [d.id, d.endpointId, d.eventId, d.eventType, d.body, d.maxAttempts, d.redeliveryOf ?? null],
    );
  }

  /** A delivery with its endpoint, for an attempt. */
  async getForAttempt(deliveryId: string): Promise<(DeliveryRow & { url: string; secret: string; enabled: boolean }) | null> {
    const r = await this.db.query<DeliveryRow & { url: string; secret: string; enabled: boolean }>(
      `SELECT d.*, e.url, e.secret, e.enabled FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
      [deliveryId],
    );
    return r.rows[0] ?? null;
  }

  /**
   * Records attempt `attempt` and the delivery's new state, fenced on the
   * attempt before it: a job that ran twice (a lost lease) records once.
   * Returns false when another run already recorded this attempt.
   */
  async recordAttempt(
    tx: SqlExecutor,
    a: Omit<AttemptRow, 'at'>,
    next: { status: DeliveryRow['status']; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    const r = await tx.query(
      `UPDATE webhook_deliveries SET attempts = $2, status = $3, next_attempt_at = $4,
         finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
       WHERE id = $1 AND attempts = $2 - 1 AND status = 'pending'`,
      [a.delivery_id, a.attempt, next.status, next.nextAttemptAt],
    );
    if (r.rowCount === 0) return false;
    await tx.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, response_status, response_body, duration_ms, error)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [a.delivery_id, a.attempt, a.response_status, a.response_body, a.duration_ms, a.error],
    );
    return true;
  }

  async listDeliveries(endpointId: string, limit: number, after?: KeysetCursor): Promise<DeliveryRow[]> {
    const page = keysetSql({ time: 'd.created_at', id: 'd.id' }, after, [endpointId, limit]);
    const r = await this.db.query<DeliveryRow>(
      `SELECT d.* FROM webhook_deliveries d WHERE d.endpoint_id = $1${page.and} ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  async getDelivery(endpointId: string, deliveryId: string): Promise<DeliveryRow | null> {
    const r = await this.db.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2', [
      deliveryId,
      endpointId,
    ]);
    return r.rows[0] ?? null;
  }

  /** The latest `perDelivery` attempts of each delivery, latest first. */
  async attemptsOf(deliveryIds: readonly string[], perDelivery: number): Promise<Map<string, AttemptRow[]>> {
    const out = new Map<string, AttemptRow[]>(deliveryIds.map((id) => [id, []]));
    if (deliveryIds.length === 0) return out;
    const r = await this.db.query<AttemptRow>(
      `SELECT * FROM (
         SELECT a.*, row_number() OVER (PARTITION BY a.delivery_id ORDER BY a.attempt DESC) AS n
         FROM webhook_delivery_attempts a WHERE a.delivery_id = ANY($1::text[])
       ) x WHERE n <= $2 ORDER BY delivery_id, attempt DESC`,
      [deliveryIds, perDelivery],
    );
    for (const row of r.rows) out.get(row.delivery_id)?.push(row);
    return out;
  }

  /** Dispatched events and finished deliveries older than their retention; returns the rows deleted. */
  async prune(eventsBefore: Date, deliveriesBefore: Date): Promise<number> {
    const events = await this.db.query('DELETE FROM webhook_events WHERE dispatched_at < $1', [eventsBefore]);
    const deliveries = await this.db.query('DELETE FROM webhook_deliveries WHERE finished_at < $1', [deliveriesBefore]);
    return events.rowCount + deliveries.rowCount;
  }
}
