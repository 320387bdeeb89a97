import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import {
  CreatedWebhookEndpoint,
  CreateWebhookEndpoint,
  UpdateWebhookEndpoint,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryParams,
  WebhookDeliveryQuery,
  WebhookEndpoint,
  WebhookEndpointPage,
  WebhookEndpointParams,
  WebhookSecret,
} from './webhooks.schema.js';
import type { WebhooksService } from './webhooks.service.js';

const BASE = '/api/v1/webhooks/endpoints';
const VISIBILITY =
  "You see and manage your own endpoints; admins also see and manage the operators' endpoints (scope `all`). Anyone else's is a 404.";

export function webhooksRoutes(webhooks: WebhooksService): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: BASE,
      operationId: 'createWebhookEndpoint',
      tag: 'webhooks',
      summary: 'Register a webhook endpoint',
      description:
        'Curta POSTs signed JSON events to the URL: `{id, type, createdAt, data}` with `Curta-Signature: t=<unix>,v1=<hex>` ' +
        '(HMAC-SHA256 of `<t>.<body>` with the secret returned here, once). Failed deliveries are retried with exponential backoff. ' +
        'The URL must be on a public address (400 `webhook_url_forbidden` otherwise, unless the operator allows private ones). ' +
        `At most 20 endpoints per user (409 \`webhook_endpoint_limit\`). ${VISIBILITY}`,
      auth: 'user',
      idempotent: true,
      body: CreateWebhookEndpoint,
      status: 201,
      response: CreatedWebhookEndpoint,
      errors: [403, 409],
      handler: async (request) => webhooks.create(request.user, request.body),
    }),
    defineRoute({
      method: 'GET',
      url: BASE,
      operationId: 'listWebhookEndpoints',
      tag: 'webhooks',
      summary: 'Your webhook endpoints',
      description: `Newest first, without their secrets. ${VISIBILITY}`,
      auth: 'user',
      query: WebhookDeliveryQuery,
      response: WebhookEndpointPage,
      handler: async (request) => webhooks.list(request.user, request.query),
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/:id`,
      operationId: 'getWebhookEndpoint',
      tag: 'webhooks',
      summary: 'A webhook endpoint',
      description: `Without its secret. ${VISIBILITY}`,
      auth: 'user',
      params: WebhookEndpointParams,
      response: WebhookEndpoint,
      errors: [404],
      handler: async (request) => webhooks.get(request.user, request.params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: `${BASE}/:id`,
      operationId: 'updateWebhookEndpoint',
      tag: 'webhooks',
      summary: 'Change a webhook endpoint',
      description: `URL, events, description, or \`enabled\` (a disabled endpoint gets no new deliveries). ${VISIBILITY}`,
      auth: 'user',
      params: WebhookEndpointParams,
      body: UpdateWebhookEndpoint,
      response: WebhookEndpoint,
      errors: [404],
      handler: async (request) => webhooks.update(request.user, request.params.id, request.body),
    }),
    defineRoute({
      method: 'DELETE',
      url: `${BASE}/:id`,
      operationId: 'deleteWebhookEndpoint',
      tag: 'webhooks',
      summary: 'Delete a webhook endpoint',
      description: `With its deliveries; pending retries stop. ${VISIBILITY}`,
      auth: 'user',
      params: WebhookEndpointParams,
      status: 204,
      response: null,
      errors: [404],
      handler: async (request) => {
        await webhooks.delete(request.user, request.params.id);
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/:id/secret`,
      operationId: 'rotateWebhookSecret',
      tag: 'webhooks',
      summary: "Replace an endpoint's signing secret",
      description: `Returns the new secret, once; deliveries are signed with it from now on. ${VISIBILITY}`,
      auth: 'user',
      params: WebhookEndpointParams,
      response: WebhookSecret,
      errors: [404],
      handler: async (request) => webhooks.rotateSecret(request.user, request.params.id),
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/:id/deliveries`,
      operationId: 'listWebhookDeliveries',
      tag: 'webhooks',
      summary: "An endpoint's deliveries",
      description:
        'Newest first, each with its state (`pending` while attempts remain, `delivered`, `dead`), the body sent and its latest attempts: ' +
        `the receiver's status, the first 2 KiB of its answer, the time it took, or why no answer came. Kept 30 days. ${VISIBILITY}`,
      auth: 'user',
      params: WebhookEndpointParams,
      query: WebhookDeliveryQuery,
      response: WebhookDeliveryPage,
      errors: [404],
      handler: async (request) => webhooks.deliveries(request.user, request.params.id, request.query),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/:id/deliveries/:deliveryId/redeliver`,
      idempotent: true,
      operationId: 'redeliverWebhook',
      tag: 'webhooks',
      summary: 'Send a delivery again',
      description:
        'The same event (same id and body, signed afresh) as a new delivery with a fresh budget of attempts; the answer is that delivery. ' +
        VISIBILITY,
      auth: 'user',
      params: WebhookDeliveryParams,
      status: 202,
      response: WebhookDelivery,
      errors: [404],
      handler: async (request) => webhooks.redeliver(request.user, request.params.id, request.params.deliveryId),
    }),
  ];
}
