import { buffer as readAll } from 'node:stream/consumers';
import type { Logger } from 'pino';
import type { ObjectStore } from '../../ports/object-store.js';
import { RecModel } from './model/index.js';
import type { ModelVersionRow, RecsRepository } from './recs.repository.js';
import type { ModelSelection } from './tuning/self-tune.js';

/**
 * A trained model as stored: the numeric model (RecModel's own format) plus
 * the video ids its item indices stand for, in one object:
 *   "CRSA" | u32 header length | header JSON | model bytes
 */
const MAGIC = 'CRSA';

export interface ArtifactHeader {
  format: 1;
  itemIds: string[];
  trainedAt: string;
}

export function encodeArtifact(model: RecModel, itemIds: readonly string[], trainedAt: Date): Buffer {
  if (itemIds.length !== model.nItems) throw new Error(`model has ${model.nItems} items but ${itemIds.length} ids were given`);
  const header: ArtifactHeader = { format: 1, itemIds: [...itemIds], trainedAt: trainedAt.toISOString() };
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 4);
  return Buffer.concat([prefix, json, Buffer.from(model.serialize())]);
}

export interface LoadedModel {
  version: number;
  model: RecModel;
  itemIds: string[];
  /** Video id → item index. */
  index: Map<string, number>;
  trainedAt: Date;
  /** What the training run chose (blend weights the feed serves with); null for models trained before self-tuning. */
  selection?: ModelSelection | null;
}

export function decodeArtifact(bytes: Buffer, version: number): LoadedModel {
  if (bytes.length < 8 || bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a Curta recommender artifact');
  const len = bytes.readUInt32LE(4);
  if (8 + len > bytes.length) throw new Error('recommender artifact is truncated');
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + len)) as ArtifactHeader;
  if (header.format !== 1 || !Array.isArray(header.itemIds)) throw new Error('unknown recommender artifact format');
  const model = RecModel.deserialize(new Uint8Array(bytes.buffer, bytes.byteOffset + 8 + len, bytes.length - 8 - len));
  if (model.nItems !== header.itemIds.length) throw new Error('recommender artifact: item ids do not match the model');
  return {
    version,
    model,
    itemIds: header.itemIds,
    index: new Map(header.itemIds.map((id, i) => [id, i])),
    trainedAt: new Date(header.trainedAt),
  };
}

/**
 * The model this process ranks with. It looks for a newer version at most
 * every `pollMs` (on demand, never on a timer that could keep a process
 * alive), loads it in the background and swaps it in: API processes pick up
 * a new training run without a restart. A broken artifact is logged and
 * skipped; the current model keeps serving.
 */
export class ModelHolder {
  private current: LoadedModel | null = null;
  private lastCheck = 0;
  private checking: Promise<void> | null = null;
  private failedVersion = 0;

  constructor(
    private readonly repo: RecsRepository,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  /** The current model; the first call waits for the first check, later ones never wait. */
  async get(): Promise<LoadedModel | null> {
    if (this.lastCheck === 0) await this.refresh();
    else if (Date.now() - this.lastCheck >= this.pollMs) void this.refresh();
    return this.current;
  }

  /** The loaded model's recorded selection (self-tuning), for /metrics and the admin panel. */
  get selection(): ModelSelection | null {
    return this.current?.selection ?? null;
  }

  get version(): number {
    return this.current?.version ?? 0;
  }

  /** Checks for a newer version now (after a local training run, or on demand). */
  refresh(): Promise<void> {
    this.checking ??= this.check().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async check(): Promise<void> {
    this.lastCheck = Date.now();
    let latest: ModelVersionRow | null;
    try {
      latest = await this.repo.latestModel();
    } catch (err) {
      this.log.warn({ err }, 'recs: could not look up the latest model');
      return;
    }
    if (!latest || latest.version <= this.version || latest.version === this.failedVersion) return;
    try {
      const { body } = await this.store.get(latest.objectKey);
      this.current = { ...decodeArtifact(await readAll(body), latest.version), selection: latest.selection };
      this.log.info({ version: latest.version, videos: latest.videos, users: latest.users }, 'recs: model loaded');
    } catch (err) {
      this.failedVersion = latest.version;
      this.log.error({ err, version: latest.version, key: latest.objectKey }, 'recs: could not load model; keeping the current one');
    }
  }
}
