import type { Platform } from '../../lib/module.js';
import { AddressPolicy } from './address-policy.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { webhooksRoutes } from './webhooks.routes.js';
import { WebhooksService } from './webhooks.service.js';

/** How often workers relay the outbox into deliveries. */
export const DISPATCH_INTERVAL_MS = 1000;

/** Webhooks: endpoints, the event outbox's relay, signed deliveries with retries. */
export function createWebhooksModule(p: Platform) {
  const c = p.config.webhooks;
  const policy = new AddressPolicy({ allowPrivate: c.allowPrivate, allowedCidrs: c.allowedCidrs });
  const sender = new WebhookSender({ policy, timeoutMs: c.timeoutMs, userAgent: 'Curta-Webhooks/1' });
  const webhooks = new WebhooksService(
    p.db,
    new WebhooksRepository(p.db),
    p.queue,
    sender,
    policy,
    { maxAttempts: c.maxAttempts, baseMs: c.retryBaseMs, maxMs: c.retryMaxMs },
    p.log.child({ module: 'webhooks' }),
  );
  return {
    webhooks,
    routes: webhooksRoutes(webhooks),
    /** Workers: relay events into deliveries; returns the stopper. */
    startDispatcher: () => webhooks.startDispatcher(DISPATCH_INTERVAL_MS),
  };
}
export type WebhooksModule = ReturnType<typeof createWebhooksModule>;
