import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../ports/object-store.js';

/**
 * Parses a single-range `Range` header against an object of `size` bytes.
 * Returns null to serve the whole object (no header, or a form we ignore),
 * or throws `range_not_satisfiable`.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null; // multi-range or another unit: RFC 9110 lets us answer 200 with the whole body
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw new AppError('range_not_satisfiable', 'Empty suffix range.');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return null; // invalid: ignore the header
  }
  if (start >= size || size === 0) throw new AppError('range_not_satisfiable', `Range starts past the end (${size} bytes).`);
  return { start, end };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/**
 * Answers a GET/HEAD for a stored object the way a CDN expects: CORS, ETag and
 * If-None-Match (304), Last-Modified, the given Cache-Control, single Range
 * (206/416, honouring If-Range), then the bytes — or, with `accelRedirect`,
 * an empty answer naming the file for the front proxy to send.
 */
export async function sendStoredObject(
  request: FastifyRequest,
  reply: FastifyReply,
  store: ObjectStore,
  key: string,
  info: ObjectInfo,
  opts: { cacheControl: string; accelRedirect?: string },
): Promise<FastifyReply> {
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-expose-headers', 'Content-Length, Content-Range, ETag, Accept-Ranges');
  // Players and pages on any origin may embed media (<video>, <img> without CORS); the default is same-origin.
  reply.header('cross-origin-resource-policy', 'cross-origin');
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', info.etag);
  reply.header('last-modified', info.lastModified.toUTCString());
  reply.header('cache-control', opts.cacheControl);
  reply.header('content-type', info.contentType);
  reply.header('x-content-type-options', 'nosniff');

  if (etagMatches(request.headers['if-none-match'], info.etag)) return reply.status(304).send();
  if (opts.accelRedirect) {
    // The proxy answers Range and conditional requests from the file itself.
    reply.header('x-accel-redirect', opts.accelRedirect);
    return reply.send();
  }

  const ifRange = request.headers['if-range'];
  const rangeHeader = ifRange && ifRange !== info.etag ? undefined : request.headers.range;
  let range: ByteRange | null;
  try {
    range = parseRange(rangeHeader, info.size);
  } catch (err) {
    reply.header('content-range', `bytes */${info.size}`);
    throw err;
  }
  reply.header('content-length', String(range ? range.end - range.start + 1 : info.size));
  if (range) {
    reply.status(206);
    reply.header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
  }
  if (request.method === 'HEAD') return reply.send();
  const { body } = await store.get(key, range ?? undefined);
  return reply.send(body);
}
