import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import { enqueueJob } from '../../jobs/job-definition.js';
import { randomId } from '../../lib/ids.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import type { Database } from '../../ports/database.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { AddressPolicy } from './address-policy.js';
import { WebhookTargetError } from './address-policy.js';
import { deliverWebhookJob, type DeliverWebhookPayload } from './deliver-webhook.job.js';
import { newWebhookSecret } from './signature.js';
import type { WebhookSender } from './webhook-sender.js';
import {
  MAX_WEBHOOK_URL_LENGTH,
  type CreateWebhookEndpoint,
  type UpdateWebhookEndpoint,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from './webhooks.schema.js';
import type { AttemptRow, DeliveryRow, EndpointRow, EndpointViewer, WebhooksRepository } from './webhooks.repository.js';

/** Endpoints one user (or the operators together) may register. */
export const MAX_ENDPOINTS_PER_OWNER = 20;
const HISTORY_PER_DELIVERY = 20;
const DISPATCH_BATCH = 100;
/** Dispatched events are copied into their deliveries' bodies: the outbox row is no longer needed after a day. */
const EVENT_RETENTION_MS = 86_400_000;
const DELIVERY_RETENTION_MS = 30 * 86_400_000;

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** Delay before attempt `attempt + 1`: base·2^(attempt−1), capped, plus up to 10% random (so retries of one outage spread). */
export function nextAttemptDelayMs(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (1 + 0.1 * random()));
}

const viewerOf = (user: PublicUser): EndpointViewer => ({ userId: user.id, admin: user.role === 'admin' });

function endpointView(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEndpointView['events'],
    enabled: row.enabled,
    scope: row.owner_id === null ? 'all' : 'own',
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

function deliveryView(row: DeliveryRow, history: readonly AttemptRow[]): WebhookDeliveryView {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type as WebhookDeliveryView['eventType'],
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.status === 'pending' && row.next_attempt_at ? isoTime(row.next_attempt_at) : null,
    createdAt: isoTime(row.created_at),
    finishedAt: row.finished_at ? isoTime(row.finished_at) : null,
    redeliveryOf: row.redelivery_of,
    payload: row.body,
    history: history.map((a) => ({
      attempt: a.attempt,
      at: isoTime(a.at),
      responseStatus: a.response_status,
      responseBody: a.response_body,
      durationMs: a.duration_ms,
      error: a.error,
    })),
  };
}

/**
 * Webhooks: endpoints registered by users (their own videos' events) and
 * admins (every video's), the outbox relay that turns events into
 * deliveries, and the delivery attempts themselves.
 */
export class WebhooksService {
  constructor(
    private readonly db: Database,
    private readonly repo: WebhooksRepository,
    private readonly queue: JobQueue,
    private readonly sender: WebhookSender,
    private readonly policy: AddressPolicy,
    private readonly retry: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async create(user: PublicUser, input: CreateWebhookEndpoint): Promise<WebhookEndpointView & { secret: string }> {
    const scope = input.scope ?? 'own';
    if (scope === 'all' && user.role !== 'admin') {
      throw new AppError('forbidden', 'Only admins can register endpoints for every video (scope "all").');
    }
    const url = await this.checkUrl(input.url);
    const ownerId = scope === 'all' ? null : user.id;
    if ((await this.repo.countOwned(ownerId)) >= MAX_ENDPOINTS_PER_OWNER) {
      throw new AppError('webhook_endpoint_limit', `At most ${MAX_ENDPOINTS_PER_OWNER} endpoints; delete one first.`);
    }
    const secret = newWebhookSecret();
    const row = await this.repo.insertEndpoint({
      id: randomId(),
      owner_id: ownerId,
      created_by: user.id,
      url,
      description: input.description ?? '',
      events: input.events,
      secret,
      enabled: input.enabled ?? true,
    });
    return { ...endpointView(row), secret };
  }

  async list(user: PublicUser, page: PageParams): Promise<Page<WebhookEndpointView>> {
    const rows = await this.repo.listVisible(viewerOf(user), page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    return { items: result.items.map(endpointView), nextCursor: result.nextCursor };
  }

  async get(user: PublicUser, id: string): Promise<WebhookEndpointView> {
    return endpointView(await this.visible(user, id));
  }

  async update(user: PublicUser, id: string, patch: UpdateWebhookEndpoint): Promise<WebhookEndpointView> {
    await this.visible(user, id);
    const url = patch.url === undefined ? undefined : await this.checkUrl(patch.url);
    const row = await this.repo.update(id, { ...patch, url });
    if (!row) throw notFound(id);
    return endpointView(row);
  }

  async delete(user: PublicUser, id: string): Promise<void> {
    await this.visible(user, id);
    if (!(await this.repo.delete(id))) throw notFound(id);
  }

  async rotateSecret(user: PublicUser, id: string): Promise<{ secret: string }> {
    await this.visible(user, id);
    const secret = newWebhookSecret();
    if (!(await this.repo.update(id, { secret }))) throw notFound(id);
    return { secret };
  }

  async deliveries(user: PublicUser, id: string, page: PageParams): Promise<Page<WebhookDeliveryView>> {
    await this.visible(user, id);
    const rows = await this.repo.listDeliveries(id, page.limit + 1, afterCursor(page.cursor));
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    const history = await this.repo.attemptsOf(
      result.items.map((r) => r.id),
      HISTORY_PER_DELIVERY,
    );
    return { items: result.items.map((r) => deliveryView(r, history.get(r.id) ?? [])), nextCursor: result.nextCursor };
  }

  /** Sends the delivery's event again, as a new delivery with a fresh budget of attempts (same event id: receivers deduplicate). */
  async redeliver(user: PublicUser, id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    await this.visible(user, id);
    const original = await this.repo.getDelivery(id, deliveryId);
    if (!original) throw new AppError('webhook_delivery_not_found', `No delivery "${deliveryId}" for this endpoint.`);
    const newId = randomId();
    await this.db.transaction(async (tx) => {
      await this.repo.insertDelivery(
        {
          id: newId,
          endpointId: id,
          eventId: original.event_id,
          eventType: original.event_type,
          body: original.body,
          maxAttempts: this.retry.maxAttempts,
          redeliveryOf: original.id,
        },
        tx,
      );
      await enqueueJob(this.queue, deliverWebhookJob, { deliveryId: newId, endpointId: id, attempt: 1 }, { executor: tx });
    });
    return deliveryView((await this.repo.getDelivery(id, newId))!, []);
  }

  /** One run of the outbox relay; returns how many events it took. */
  async dispatchPending(): Promise<number> {
    let taken = 0;
    for (;;) {
      const run = await this.db.transaction(async (tx) => {
        const d = await this.repo.dispatch(tx, DISPATCH_BATCH, this.retry.maxAttempts, () => randomId());
        for (const delivery of d.deliveries) {
          await enqueueJob(
            this.queue,
            deliverWebhookJob,
            { deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: 1 },
            { executor: tx },
          );
        }
        return d;
      });
      taken += run.events;
      if (run.events < DISPATCH_BATCH) return taken;
    }
  }

  /**
   * Workers relay the outbox every `intervalMs` (one run at a time per
   * process; processes skip each other's rows) and prune old rows hourly.
   * Returns the function that stops it.
   */
  startDispatcher(intervalMs: number): () => Promise<void> {
    let running: Promise<void> | null = null;
    let lastPrune = 0;
    const tick = () => {
      if (running) return;
      running = (async () => {
        await this.dispatchPending();
        if (Date.now() - lastPrune > 3600_000) {
          lastPrune = Date.now();
          const pruned = await this.repo.prune(new Date(Date.now() - EVENT_RETENTION_MS), new Date(Date.now() - DELIVERY_RETENTION_MS));
          if (pruned > 0) this.log.info({ pruned }, 'webhooks: old events and deliveries deleted');
        }
      })()
        .catch((err: unknown) => this.log.warn({ err }, 'webhooks: dispatch failed'))
        .finally(() => {
          running = null;
        });
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  /** The handler of deliverWebhookJob: one attempt, its outcome recorded, the next one scheduled. */
  async handleDeliveryJob(job: Job<DeliverWebhookPayload>): Promise<void> {
    const { deliveryId, attempt } = job.payload;
    const d = await this.repo.getForAttempt(deliveryId);
    // Its endpoint was deleted, or this attempt was already made (a duplicate job).
    if (d?.status !== 'pending' || d.attempts !== attempt - 1) return;
    const result = d.enabled
      ? await this.sender.send({ url: d.url, body: d.body, secret: d.secret, eventId: d.event_id, eventType: d.event_type, deliveryId })
      : { status: null, body: null, durationMs: 0, error: 'the endpoint is disabled' };
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const last = attempt >= d.max_attempts || !d.enabled;
    const status = ok ? 'delivered' : last ? 'dead' : 'pending';
    const nextAt = status === 'pending' ? new Date(Date.now() + nextAttemptDelayMs(attempt, this.retry)) : null;
    await this.db.transaction(async (tx) => {
      const recorded = await this.repo.recordAttempt(
        tx,
        {
          delivery_id: deliveryId,
          attempt,
          response_status: result.status,
          response_body: result.body,
          duration_ms: result.durationMs,
          error: result.error,
        },
        { status, nextAttemptAt: nextAt },
      );
      if (recorded && nextAt) {
        await enqueueJob(this.queue, deliverWebhookJob, { ...job.payload, attempt: attempt + 1 }, { runAt: nextAt, executor: tx });
      }
    });
    if (status === 'dead') this.log.warn({ deliveryId, endpointId: d.endpoint_id, attempts: attempt }, 'webhook delivery given up');
  }

  private async visible(user: PublicUser, id: string): Promise<EndpointRow> {
    const row = await this.repo.getVisible(id, viewerOf(user));
    if (!row) throw notFound(id);
    return row;
  }

  /**
   * A receiver URL: absolute http(s), a host, no credentials or fragment,
   * and — unless the operator allows private addresses — a host that is
   * not, and does not resolve to, a private address. (Every delivery checks
   * the address again: DNS may change after registration.)
   */
  private async checkUrl(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AppError('webhook_url_invalid', 'The URL is not an absolute URL (e.g. https://hooks.example.com/curta).');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new AppError('webhook_url_invalid', 'The URL must be http:// or https://.');
    if (!url.hostname) throw new AppError('webhook_url_invalid', 'The URL has no host.');
    if (url.username || url.password) {
      throw new AppError('webhook_url_invalid', 'The URL must not carry credentials; verify deliveries by their signature instead.');
    }
    if (url.hash) throw new AppError('webhook_url_invalid', 'The URL must not have a #fragment.');
    const normalized = url.toString();
    if (normalized.length > MAX_WEBHOOK_URL_LENGTH) throw new AppError('webhook_url_invalid', 'The URL is too long.');
    try {
      await this.policy.resolve(url.hostname);
    } catch (err) {
      // A name that does not resolve yet may later (its deliveries fail meanwhile); a non-public address is refused now.
      if (!(err instanceof WebhookTargetError) || err.reason === 'address_forbidden') {
        throw err instanceof WebhookTargetError ? new AppError('webhook_url_forbidden', err.message) : err;
      }
    }
    return normalized;
  }
}

const notFound = (id: string) => new AppError('webhook_endpoint_not_found', `No webhook endpoint with id "${id}".`);
