import type { FastifyInstance } from 'fastify';
import type { FsObjectStore } from '../adapters/storage/fs-object-store.js';

/**
 * Embedded mode's stand-in for S3's presigned PUT endpoint: the client sends
 * the bytes here, the filesystem store checks the signature, expiry, declared
 * size and type, and stores them. Registered only when storage is `fs`.
 */
export async function storageRoutes(app: FastifyInstance, store: FsObjectStore): Promise<void> {
  await app.register(async (scope) => {
    // Bodies are raw video bytes streamed to disk: no parsing, no body limit here
    // (the signed size is the limit, enforced while streaming).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    scope.addHook('onSend', async (_request, reply) => {
      reply.header('access-control-allow-origin', '*');
      reply.header('access-control-expose-headers', 'ETag');
    });

    scope.put('/storage/*', async (request, reply) => {
      const key = (request.params as { '*': string })['*'];
      let result;
      try {
        result = await store.receiveSignedPut(
          key,
          request.query as Record<string, string | undefined>,
          {
            'content-type': request.headers['content-type'],
            'content-length': request.headers['content-length'],
          },
          request.raw,
        );
      } catch (err) {
        // The client may still be sending a large body we refuse to read: end the connection after answering.
        reply.header('connection', 'close');
        throw err;
      }
      reply.header('etag', result.etag);
      return reply.status(200).send();
    });

    scope.options('/storage/*', async (_request, reply) =>
      reply
        .header('access-control-allow-methods', 'PUT')
        .header('access-control-allow-headers', 'Content-Type')
        .header('access-control-max-age', '86400')
        .status(204)
        .send(),
    );
  });
}
