/**
 * An object store made of numbers, for the archive benchmark: each catalog
 * video has its original (`originals/<id>`) and its renditions under
 * `media/<id>/r1/` (a master playlist, per rung a playlist, an init segment
 * and 2-s segments, the MP4 and the poster) with sizes from the catalog, and
 * no bytes anywhere. It answers what the archive sweep asks (HEAD, paged
 * listings, class changes, deletes) and counts every call; anything that
 * would need bytes throws.
 */
import type {
  ByteRange,
  KeyPage,
  ListedKey,
  ListPageOptions,
  ObjectInfo,
  ObjectStore,
  PresignedRequest,
  PutOptions,
  StorageClass,
  UploadedPart,
} from '../../src/ports/object-store.js';
import type { CatalogVideo } from './catalog.js';

const POSTER_BYTES = 120_000;
const RUNGS = ['1080p', '720p', '540p', '360p'];
const EPOCH = new Date('2024-01-01T00:00:00Z');

export class SimulatedStore implements ObjectStore {
  readonly kind = 's3' as const;
  private readonly videos = new Map<string, CatalogVideo>();
  private readonly deleted = new Set<string>();
  private readonly archived = new Set<string>();
  readonly counts = new Map<string, number>();
  deletes = 0;

  constructor(catalog: readonly CatalogVideo[]) {
    for (const v of catalog) this.videos.set(v.id, v);
  }

  private count(op: string): void {
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
  }

  calls(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  summary(): string {
    return [...this.counts].map(([op, n]) => `${op} ${n.toLocaleString('en-US')}`).join(', ');
  }

  /** The objects of one video's renditions, in key order. */
  private renditions(v: CatalogVideo): ListedKey[] {
    const base = `media/${v.id}/r1/`;
    const segments = Math.ceil(v.durationMs / 2000);
    const mp4 = Math.round((v.durationMs / 1000) * (1.3e6 / 8));
    const hlsBytes = Math.max(0, v.renditionBytes - mp4 - POSTER_BYTES);
    const perSegment = Math.floor(hlsBytes / (segments * RUNGS.length));
    const keys: Array<{ key: string; size: number }> = [{ key: `${base}master.m3u8`, size: 900 }];
    for (const rung of RUNGS) {
      keys.push({ key: `${base}${rung}/init.mp4`, size: 800 }, { key: `${base}${rung}/playlist.m3u8`, size: 60 + segments * 40 });
      for (let i = 0; i < segments; i++) keys.push({ key: `${base}${rung}/seg-${String(i).padStart(5, '0')}.m4s`, size: perSegment });
    }
    keys.push({ key: `${base}poster.jpg`, size: POSTER_BYTES }, { key: `${base}video.mp4`, size: mp4 });
    return keys
      .map((k): ListedKey => ({ ...k, lastModified: EPOCH, storageClass: 'STANDARD' }))
      .filter((k) => !this.deleted.has(k.key))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  private original(key: string): CatalogVideo | null {
    const m = /^originals\/([A-Za-z0-9_-]+)$/.exec(key);
    return m && !this.deleted.has(key) ? (this.videos.get(m[1]!) ?? null) : null;
  }

  private info(key: string, size: number, storageClass: StorageClass): ObjectInfo {
    return { key, size, etag: `"${key.length}-${size}"`, contentType: 'application/octet-stream', lastModified: EPOCH, storageClass };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    this.count('HEAD');
    const v = this.original(key);
    if (v) return this.info(key, v.originalBytes, this.archived.has(key) ? 'ARCHIVE' : 'STANDARD');
    const m = /^media\/([A-Za-z0-9_-]+)\//.exec(key);
    const k = m ? this.videos.get(m[1]!) && this.renditions(this.videos.get(m[1]!)!).find((x) => x.key === key) : undefined;
    return k ? this.info(key, k.size, 'STANDARD') : null;
  }

  async listPage(prefix: string, opts: ListPageOptions = {}): Promise<KeyPage> {
    this.count('LIST');
    const m = /^media\/([A-Za-z0-9_-]+)\/$/.exec(prefix);
    const v = m ? this.videos.get(m[1]!) : undefined;
    if (!v) throw new Error(`the simulated store lists one video's media folder, not "${prefix}"`);
    const limit = Math.min(1000, opts.limit ?? 1000);
    const all = this.renditions(v).filter((k) => opts.cursor === undefined || k.key > opts.cursor);
    const keys = all.slice(0, limit);
    return { keys, folders: [], next: all.length > limit ? keys[keys.length - 1]!.key : null };
  }

  async setStorageClass(key: string, storageClass: StorageClass): Promise<ObjectInfo> {
    this.count('COPY (class)');
    const v = this.original(key);
    if (!v) throw new Error(`no object ${key}`);
    if (storageClass === 'ARCHIVE') this.archived.add(key);
    else this.archived.delete(key);
    return this.info(key, v.originalBytes, storageClass);
  }

  async delete(key: string): Promise<void> {
    this.count('DELETE');
    if (!this.deleted.has(key)) this.deletes++;
    this.deleted.add(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    this.count('DELETE prefix');
    const m = /^media\/([A-Za-z0-9_-]+)\/$/.exec(prefix);
    const v = m ? this.videos.get(m[1]!) : undefined;
    if (!v) return 0;
    const keys = this.renditions(v);
    for (const k of keys) this.deleted.add(k.key);
    this.deletes += keys.length;
    return keys.length;
  }

  async restoreObject(): Promise<'not_needed'> {
    this.count('RESTORE');
    return 'not_needed';
  }

  async checkWritable(): Promise<void> {}

  onObjectCreated(): () => void {
    return () => undefined;
  }

  private bytes(): never {
    throw new Error('the simulated store holds no bytes');
  }
  put(_key: string, _body: unknown, _opts: PutOptions): Promise<ObjectInfo> {
    return this.bytes();
  }
  putFile(): Promise<ObjectInfo> {
    return this.bytes();
  }
  get(_key: string, _range?: ByteRange): Promise<never> {
    return this.bytes();
  }
  getToFile(): Promise<ObjectInfo> {
    return this.bytes();
  }
  list(): Promise<ObjectInfo[]> {
    return this.bytes();
  }
  presignPut(): Promise<PresignedRequest> {
    return this.bytes();
  }
  createMultipart(): Promise<{ uploadId: string }> {
    return this.bytes();
  }
  presignPart(): Promise<PresignedRequest> {
    return this.bytes();
  }
  listParts(): Promise<UploadedPart[]> {
    return this.bytes();
  }
  completeMultipart(): Promise<ObjectInfo> {
    return this.bytes();
  }
  abortMultipart(): Promise<void> {
    return this.bytes();
  }
}
