import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import { WebhookTargetError } from './address-policy.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** What one delivery attempt came to: an answer (any status), or the reason there was none. */
export interface SendResult {
  /** The receiver's HTTP status; null when no answer came. */
  status: number | null;
  /** The first bytes of its answer (truncated to RESPONSE_BODY_LIMIT). */
  body: string | null;
  durationMs: number;
  error: string | null;
}

export const RESPONSE_BODY_LIMIT = 2048;

export interface SendOptions {
  url: string;
  body: string;
  secret: string;
  eventId: string;
  eventType: string;
  deliveryId: string;
}

export interface WebhookSenderOptions {
  policy: AddressPolicy;
  timeoutMs: number;
  userAgent: string;
  /** Unix seconds, for the signature (tests). */
  now?: () => number;
}

/** A lookup that answers the address vetted beforehand, whatever it is asked: the connection goes where the check looked. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Sends signed webhook deliveries: one POST per attempt, to the address the
 * policy vetted (resolved once, the socket pinned to it: no DNS rebinding),
 * no redirects followed (a 3xx is an answer, and not a success), no pooled
 * sockets, a deadline for the whole exchange, and at most a few KiB of the
 * answer read.
 */
export class WebhookSender {
  constructor(private readonly opts: WebhookSenderOptions) {}

  async send(o: SendOptions): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: { address: string; family: 4 | 6 };
    const url = new URL(o.url);
    try {
      target = await this.opts.policy.resolve(url.hostname);
    } catch (err) {
      if (err instanceof WebhookTargetError) return { status: null, body: null, durationMs: elapsed(), error: err.message };
      throw err;
    }
    const timestamp = this.opts.now?.() ?? Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(o.body)),
      'user-agent': this.opts.userAgent,
      [SIGNATURE_HEADER]: signatureHeader(o.secret, o.body, timestamp),
      'curta-event-id': o.eventId,
      'curta-event-type': o.eventType,
      'curta-delivery-id': o.deliveryId,
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (r: Omit<SendResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, durationMs: elapsed() });
      };
      const req = request(
        url,
        { method: 'POST', headers, agent: false, lookup: pinnedLookup(target.address, target.family), family: target.family },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT);
            finish({ status: res.statusCode ?? null, body: text, error: null });
            res.destroy();
          };
          res.on('data', (chunk: Buffer) => {
            if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - size));
            size += chunk.length;
            // Enough to show the owner what went wrong; the rest is not read.
            if (size >= RESPONSE_BODY_LIMIT) done();
          });
          res.on('end', done);
          res.on('error', done);
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish({ status: null, body: null, error: `no answer within ${this.opts.timeoutMs} ms` });
      }, this.opts.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) =>
        finish({ status: null, body: null, error: `${err.code ?? 'error'}: ${err.message}` }),
      );
      req.end(o.body);
    });
  }
}
