import type { FastifyInstance } from 'fastify';
import type { FsObjectStore, ReceiveOptions } from '../adapters/storage/fs-object-store.js';
import { z } from 'zod';
import { WildcardParams } from '../lib/http/api-schemas.js';
import { defineRoute, registerRoutes } from '../lib/http/route.js';

const signed = (what: string) => z.string().max(200).optional().describe(what);
const SignedPutQuery = z.object({
  expires: signed('Expiry, Unix seconds'),
  sig: signed('HMAC signature over the key, expiry and the fields below'),
  size: signed('The exact byte count the URL accepts'),
  ct: signed('The Content-Type the URL accepts'),
  uploadId: signed('Multipart upload (parts only)'),
  partNumber: signed('Part number (parts only)'),
});

/**
 * Embedded mode's stand-in for S3's presigned PUT endpoint: the client sends
 * the bytes here, the filesystem store checks the signature, expiry, declared
 * size and type, and stores them. Registered only when storage is `fs`.
 * `admit` (the uploads module) refuses bytes for an upload that is complete
 * or deleted; the store allows one writer per URL and cuts slow bodies.
 */
export async function storageRoutes(app: FastifyInstance, store: FsObjectStore, opts: ReceiveOptions = {}): Promise<void> {
  await app.register(async (scope) => {
    // Bodies are raw video bytes streamed to disk: no parsing, no body limit here
    // (the signed size is the limit, enforced while streaming).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    scope.addHook('onSend', async (_request, reply) => {
      reply.header('access-control-allow-origin', '*');
      reply.header('access-control-expose-headers', 'ETag');
    });
    // A refused upload (bad query, bad signature, wrong size) may still be sending a large body we will not
    // read: end the connection after answering, whichever step refused it.
    scope.addHook('onError', async (_request, reply) => {
      reply.header('connection', 'close');
    });

    registerRoutes(scope, [
      defineRoute({
        method: 'PUT',
        url: '/storage/*',
        operationId: 'putStorageObject',
        tag: 'media',
        summary: 'Signed upload target (embedded storage only)',
        description:
          'Where `upload.url` points when objects live on the local disk; the query carries the signature. ' +
          'One upload per URL (or part) at a time: a second while the first is in flight gets 409 `upload_in_progress` with Retry-After. ' +
          'Once the upload is complete (or the video deleted) the URL takes nothing more: 409 `upload_state_conflict` (404 `upload_not_found`). ' +
          'A body that sends too slowly is cut (408 `upload_timeout`); a full disk answers 507 `storage_full`.',
        auth: 'none',
        params: WildcardParams,
        // The signature's fields, checked by the store (which names what is wrong).
        query: SignedPutQuery,
        rawBody: { contentTypes: ['*/*'], description: 'The file (or part) bytes, exactly the signed size and type' },
        response: { contentType: 'application/octet-stream', description: 'Stored; the ETag header names the part' },
        errors: [400, 403, 404, 408, 409, 507],
        handler: async (request, reply) => {
          const result = await store.receiveSignedPut(
            request.params['*'],
            request.query,
            { 'content-type': request.headers['content-type'], 'content-length': request.headers['content-length'] },
            request.raw,
            opts,
          );
          return reply.header('etag', result.etag).status(200).send();
        },
      }),
      defineRoute({
        method: 'OPTIONS',
        url: '/storage/*',
        operationId: 'preflightStorage',
        tag: 'media',
        summary: 'CORS preflight',
        description: 'Browsers on other origins may PUT with a Content-Type.',
        auth: 'none',
        params: WildcardParams,
        status: 204,
        response: null,
        handler: async (_request, reply) =>
          reply
            .header('access-control-allow-methods', 'PUT')
            .header('access-control-allow-headers', 'Content-Type')
            .header('access-control-max-age', '86400')
            .status(204)
            .send(),
      }),
    ]);
  });
}
