/**
 * The bench's baseline: a minimal Fastify app that answers the two routes the
 * bench asks Curta for with the very bytes Curta answered (read once from
 * BODY_DIR), so the comparison is about everything Curta does per request.
 *
 *   PORT=… BODY_DIR=… node --import tsx bench/api/hello-server.ts
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';

const dir = process.env['BODY_DIR'] ?? '.';
const video = await readFile(join(dir, 'video.json'));
const feed = await readFile(join(dir, 'feed.json'));

const app = Fastify({ logger: false });
app.get('/api/v1/videos/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(video));
app.get('/api/v1/feed', async (_request, reply) => reply.type('application/json; charset=utf-8').send(feed));
app.get('/readyz', async () => ({ status: 'ready' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT'] ?? 0) });
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
