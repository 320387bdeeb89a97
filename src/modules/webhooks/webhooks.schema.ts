import { z } from 'zod';
import { count, isoTime, page, pageQuery } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { ID_PATTERN } from '../../lib/ids.js';

/** The events an endpoint can subscribe to (the migration's trigger raises them). */
export const WEBHOOK_EVENT_TYPES = [
  'video.ready',
  'video.failed',
  'video.deleted',
  'upload.expired',
  'video.archived',
  'video.restored',
  'video.restore_failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const MAX_WEBHOOK_URL_LENGTH = 2000;

const EventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'subscribe to at least one event')
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((list) => new Set(list).size === list.length, 'each event at most once')
  .describe(
    '`video.ready` (processed and playable in every rung), `video.failed` (the media was refused or processing gave up), ' +
      '`video.deleted`, `upload.expired` (the file never arrived before its upload URL expired), ' +
      '`video.archived` (moved to the archive tier, nothing plays), `video.restored` (plays again after a restore, new playback URLs), ' +
      '`video.restore_failed` (a restore gave up; the video stays archived)',
  );
const Url = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH)
  .describe('http(s) URL of the receiver, on a public address (see WEBHOOK_ALLOW_PRIVATE); redirects are not followed');
const Description = z.string().max(200).describe('A note for yourself');

export const WebhookEndpointParams = z.object({ id: z.string().regex(ID_PATTERN, 'not an endpoint id').describe('Endpoint id') });
export const WebhookDeliveryParams = WebhookEndpointParams.extend({
  deliveryId: z.string().regex(ID_PATTERN, 'not a delivery id').describe('Delivery id'),
});
export const WebhookDeliveryQuery = pageQuery(20);

export const CreateWebhookEndpoint = requestSchema(
  'CreateWebhookEndpoint',
  z
    .object({
      url: Url,
      events: EventTypes,
      description: Description.optional(),
      enabled: z.boolean().optional().describe('Default true'),
      scope: z
        .enum(['own', 'all'])
        .optional()
        .describe("`own` (default): events about your own videos. `all`: every video's events, an operator's endpoint (admins only)"),
    })
    .strict()
    .meta({ examples: [{ url: 'https://hooks.example.com/curta', events: ['video.ready', 'video.failed'] }] }),
);
export type CreateWebhookEndpoint = z.infer<typeof CreateWebhookEndpoint>;

export const UpdateWebhookEndpoint = requestSchema(
  'UpdateWebhookEndpoint',
  z
    .object({ url: Url.optional(), events: EventTypes.optional(), description: Description.optional(), enabled: z.boolean().optional() })
    .strict()
    .refine((b) => Object.keys(b).length > 0, 'change at least one field'),
);
export type UpdateWebhookEndpoint = z.infer<typeof UpdateWebhookEndpoint>;

const endpointFields = {
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  enabled: z.boolean(),
  scope: z.enum(['own', 'all']),
  createdAt: isoTime,
  updatedAt: isoTime,
};
export const WebhookEndpoint = responseSchema('WebhookEndpoint', z.object(endpointFields));
export type WebhookEndpointView = z.infer<typeof WebhookEndpoint>;

export const CreatedWebhookEndpoint = responseSchema(
  'CreatedWebhookEndpoint',
  z.object({
    ...endpointFields,
    secret: z.string().describe('The signing secret: shown now and never again (rotate it to get a new one)'),
  }),
);
export const WebhookSecret = responseSchema(
  'WebhookSecret',
  z.object({ secret: z.string().describe('The new signing secret; the old one stops signing at once') }),
);
export const WebhookEndpointPage = responseSchema('WebhookEndpointPage', page(WebhookEndpoint));

const Attempt = z.object({
  attempt: count(),
  at: isoTime,
  responseStatus: z.int().nullable().describe("The receiver's HTTP status; null when no answer came"),
  responseBody: z.string().nullable().describe('The first 2 KiB of its answer'),
  durationMs: count(),
  error: z.string().nullable().describe('Why no answer came (timeout, refused address, connection error)'),
});

export const WebhookDelivery = responseSchema(
  'WebhookDelivery',
  z.object({
    id: z.string(),
    eventId: z.string().describe('The same for every delivery (and redelivery) of one event: receivers deduplicate on it'),
    eventType: z.enum(WEBHOOK_EVENT_TYPES),
    status: z.enum(['pending', 'delivered', 'dead']).describe('`dead`: every attempt failed (redeliver to try again)'),
    attempts: count(),
    maxAttempts: count(),
    nextAttemptAt: isoTime.nullable(),
    createdAt: isoTime,
    finishedAt: isoTime.nullable(),
    redeliveryOf: z.string().nullable(),
    payload: z.string().describe('The exact JSON body sent'),
    history: z.array(Attempt).describe('Attempts, latest first (at most 20)'),
  }),
);
export type WebhookDeliveryView = z.infer<typeof WebhookDelivery>;
export const WebhookDeliveryPage = responseSchema('WebhookDeliveryPage', page(WebhookDelivery));
