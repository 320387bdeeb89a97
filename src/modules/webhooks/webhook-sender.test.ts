import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy.js';
import { newWebhookSecret, verifyWebhookSignature } from './signature.js';
import { RESPONSE_BODY_LIMIT, WebhookSender } from './webhook-sender.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real receiver on loopback; each path answers its own way. */
describe('webhook sender', () => {
  let server: Server;
  let port: number;
  const received: Received[] = [];
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: 'evt_x', type: 'video.ready', createdAt: new Date().toISOString(), data: {} });
  const send = (sender: WebhookSender, url: string) =>
    sender.send({ url, body, secret, eventId: 'evt_x', eventType: 'video.ready', deliveryId: 'd1' });
  const open = (timeoutMs = 5000) =>
    new WebhookSender({
      policy: new AddressPolicy({ allowPrivate: true, allowedCidrs: [] }),
      timeoutMs,
      userAgent: 'test',
    });

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/big') res.writeHead(500, { 'content-type': 'text/plain' }).end('x'.repeat(50_000));
        else if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end('moved');
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
        else res.writeHead(404).end('no');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs the body with a signature the receiver can verify, and records the answer', async () => {
    const r = await send(open(), `http://127.0.0.1:${port}/ok`);
    expect(r).toMatchObject({ status: 204, body: '', error: null });
    const got = received.find((x) => x.path === '/ok')!;
    expect(got.body).toBe(body);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['curta-event-id']).toBe('evt_x');
    expect(got.headers['curta-event-type']).toBe('video.ready');
    expect(verifyWebhookSignature({ header: got.headers['curta-signature'] as string, body: got.body, secret })).toMatchObject({
      ok: true,
    });
  });

  it('keeps only the first bytes of a long answer', async () => {
    const r = await send(open(), `http://127.0.0.1:${port}/big`);
    expect(r.status).toBe(500);
    expect(r.body).toHaveLength(RESPONSE_BODY_LIMIT);
  });

  it('does not follow redirects', async () => {
    const r = await send(open(), `http://127.0.0.1:${port}/redirect`);
    expect(r.status).toBe(302);
    expect(received.some((x) => x.path === '/elsewhere')).toBe(false);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const r = await send(open(200), `http://127.0.0.1:${port}/slow`);
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/no answer within 200 ms/);
  });

  it('connects to the address it vetted, not to whatever a second lookup would say (DNS rebinding)', async () => {
    // `rebind.invalid` cannot resolve anywhere: the request can only reach the receiver through the vetted address.
    const pinned = new WebhookSender({
      policy: new AddressPolicy({ allowPrivate: true, allowedCidrs: [], lookup: async () => [{ address: '127.0.0.1', family: 4 }] }),
      timeoutMs: 5000,
      userAgent: 'test',
    });
    const r = await send(pinned, `http://rebind.invalid:${port}/ok`);
    expect(r.status).toBe(204);
    expect(received.filter((x) => x.path === '/ok').at(-1)!.headers.host).toBe(`rebind.invalid:${port}`);
  });

  it('sends nothing to loopback when private addresses are not allowed', async () => {
    const strict = new WebhookSender({
      policy: new AddressPolicy({ allowPrivate: false, allowedCidrs: [] }),
      timeoutMs: 5000,
      userAgent: 'test',
    });
    const before = received.length;
    for (const url of [`http://127.0.0.1:${port}/ok`, `http://localhost:${port}/ok`, `http://[::ffff:127.0.0.1]:${port}/ok`]) {
      const r = await send(strict, url);
      expect(r.status, url).toBeNull();
      expect(r.error, url).toMatch(/non-public address/);
    }
    expect(received.length).toBe(before);
  });
});
