import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsObjectStore, STORAGE_ROUTE_PREFIX, type FsObjectStoreOptions } from '../../src/adapters/storage/fs-object-store.js';
import type { ObjectInfo, PresignedRequest, UploadedPart } from '../../src/ports/object-store.js';
import type { ObjectStoreFixture } from './object-store.contract.js';

export const PUBLIC_BASE_URL = 'http://curta.test';
export const SECRET = 'test-signing-secret-with-at-least-32-chars';

/** Splits a presigned URL into what the API's storage route hands to receiveSignedPut. */
export function parsePresignedUrl(url: string): { key: string; query: Record<string, string> } {
  const parsed = new URL(url);
  const at = parsed.pathname.indexOf(STORAGE_ROUTE_PREFIX);
  if (at < 0) throw new Error(`not a storage URL: ${url}`);
  const key = parsed.pathname
    .slice(at + STORAGE_ROUTE_PREFIX.length)
    .split('/')
    .map(decodeURIComponent)
    .join('/');
  return { key, query: Object.fromEntries(parsed.searchParams) };
}

/** Does what a client plus the API's storage route do with a presigned request. */
export function sendToFsStore(
  store: FsObjectStore,
  request: PresignedRequest,
  body: Buffer,
  headers: { 'content-type'?: string; 'content-length'?: string } = {
    'content-type': request.headers['content-type'],
    'content-length': String(body.length),
  },
): Promise<ObjectInfo | UploadedPart> {
  const { key, query } = parsePresignedUrl(request.url);
  return store.receiveSignedPut(key, query, headers, Readable.from([body]));
}

export async function createFsStore(
  opts: Partial<FsObjectStoreOptions> = {},
): Promise<{ store: FsObjectStore; rootDir: string; cleanup: () => Promise<void> }> {
  const rootDir = await mkdtemp(join(tmpdir(), 'curta-fs-store-'));
  const store = new FsObjectStore({ rootDir, publicBaseUrl: PUBLIC_BASE_URL, signingSecret: SECRET, ...opts });
  return { store, rootDir, cleanup: () => rm(rootDir, { recursive: true, force: true }) };
}

export async function fsStoreFixture(): Promise<ObjectStoreFixture> {
  // The archive folder on its own path (in production it may be another disk), restores taking a minute of a clock the test moves.
  let offsetMs = 0;
  const archiveDir = await mkdtemp(join(tmpdir(), 'curta-fs-archive-'));
  const restoreDelayMs = 60_000;
  const { store, cleanup } = await createFsStore({ archiveDir, restoreDelayMs, now: () => Date.now() + offsetMs });
  return {
    store,
    cleanup: async () => {
      await cleanup();
      await rm(archiveDir, { recursive: true, force: true });
    },
    archive: { restoreDelayMs, advance: (ms) => void (offsetMs += ms) },
    emitsObjectCreated: true,
    sendPresigned: async (request, body) => {
      await sendToFsStore(store, request, body);
    },
  };
}
