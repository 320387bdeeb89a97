/**
 * The abuse patterns of issue 11, mixed into the second run on top of the
 * clean mix. Each is measured for what the server does with it: a refusal it
 * may deliberately give (per pattern: 400 for a forged cursor, 401 for a wrong
 * password, 409 for a second writer …) is not an error; 429 never is; a 2xx
 * means the server let it through (shown, not judged here); anything else
 * (5xx, resets where no refusal was due, timeouts) is an error.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Client, Outcome, Recorder } from './http.js';
import { json, networkOutcome } from './http.js';
import { deviceId, type SeedUser } from './traffic.js';

export const ABUSE = {
  cursor: 'abuse: GET /feed forged cursor',
  events: 'abuse: POST /events rotated X-Device-Id',
  login: 'abuse: POST /auth/login wrong password',
  avatar: 'abuse: PUT /me/avatar 6300×6300 PNG',
  slowPut: 'abuse: PUT /storage stalled body',
  sse: 'abuse: GET /videos/{id}/events (SSE)',
  unknownUpload: 'abuse: POST /uploads unknown field',
  unknownProfile: 'abuse: PATCH /me unknown field',
  unknownComment: 'abuse: POST /videos/{id}/comments unknown field',
} as const;

/** How much of each pattern runs at once. */
export const ABUSE_SHAPE = {
  cursorConnections: 10,
  eventConnections: 10,
  /** Concurrent wrong passwords for one username, a burst every `loginEveryMs`, each from another address. */
  loginBurst: 40,
  loginEveryMs: 5000,
  avatarConnections: 4,
  /** Concurrent PUTs on one signed URL, each stalled near the end (one byte every `slowByteMs`). */
  slowPuts: 10,
  slowPutBytes: 4 * 1024 * 1024,
  slowByteMs: 2000,
  sseStreams: 100,
  unknownFieldConnections: 4,
} as const;

/** A stream that has not answered by then counts as a timeout (as any request does in http.ts). */
const SSE_ANSWER_TIMEOUT_MS = 30_000;
/** The other patterns start once every stream request has been answered, or after this long (see `Abuse.start`). */
const SSE_FIRST_WAVE_MS = 10_000;

/** One attacker, one address (what per-address limits should catch). */
const ATTACKER_ADDRESS = '10.66.0.1';

export function defineAbuseRoutes(rec: Recorder): void {
  rec.define(ABUSE.cursor, { abuse: true, refusals: [400] });
  rec.define(ABUSE.events, { abuse: true, refusals: [400, 403] });
  rec.define(ABUSE.login, { abuse: true, refusals: [401] });
  rec.define(ABUSE.avatar, { abuse: true, refusals: [400, 413, 415, 422] });
  // The server may answer (408, 409 for a second writer, 413) or just close a body that crawls.
  rec.define(ABUSE.slowPut, { abuse: true, refusals: [400, 403, 408, 409, 413, 'closed'] });
  rec.define(ABUSE.sse, { abuse: true, refusals: [403] });
  for (const r of [ABUSE.unknownUpload, ABUSE.unknownProfile, ABUSE.unknownComment]) rec.define(r, { abuse: true, refusals: [400] });
}

export interface AbuseTargets {
  attacker: SeedUser;
  /** Its password is what the login flood guesses at. */
  victim: SeedUser;
  /** A ready public video the clean mix sends no events for: whatever views it gains are fake. */
  viewTarget: string;
  /** Any ready public video, to comment on. */
  commentTarget: string;
  avatarPng: Buffer;
}

export interface AbuseReport {
  viewsBefore: number;
  viewsAfter: number;
  trendingRankAfter: number | null;
  /** Wrong passwords the server actually evaluated (answered 401) for the one username. */
  passwordsEvaluated: number;
  /** Both during the measured period. */
  sseMaxOpen: number;
  /** How long the stream requests took to be answered, all of them, before the other patterns started (capped). */
  sseFirstWaveMs: number;
  /** Whether every stream request was answered within SSE_FIRST_WAVE_MS. */
  sseFirstWaveDone: boolean;
  slowPutMaxOpen: number;
  slowPutHeldToEnd: number;
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

function forgedCursor(): string {
  // The shape of an issued cursor (ISO time, id), pointing nowhere in particular: a fresh cache key each time.
  const t = new Date(Date.now() - Math.floor(Math.random() * 365 * 86_400_000)).toISOString();
  return Buffer.from(JSON.stringify([t, randomBytes(12).toString('base64url')])).toString('base64url');
}

export class Abuse {
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly sockets = new Set<http.ClientRequest>();
  private sseOpen = 0;
  private sseMaxOpen = 0;
  private slowOpen = 0;
  private slowMaxOpen = 0;
  private slowHeld = 0;
  private viewsBefore = 0;
  private sseVideo = '';
  private slowUrl: URL | null = null;
  /** Called once per stream loop, at its first outcome (see `start`). */
  private sseFirstAnswer: () => void = () => undefined;
  private sseFirstWaveMs = 0;
  private sseFirstWaveDone = false;

  constructor(
    private readonly client: Client,
    private readonly rec: Recorder,
    private readonly t: AbuseTargets,
  ) {}

  private get attackerHeaders(): Record<string, string> {
    return { 'x-forwarded-for': ATTACKER_ADDRESS, authorization: `Bearer ${this.t.attacker.token}` };
  }

  /** Unrecorded preparations: two uploads of the attacker's own left open (one to watch, one to stall). */
  async prepare(): Promise<void> {
    this.viewsBefore = await this.views();
    const create = async (size: number) => {
      const a = await this.client.send({
        method: 'POST',
        path: '/api/v1/uploads',
        headers: { ...this.attackerHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'stall.mp4', contentType: 'video/mp4', size }),
      });
      if (a.status !== 201) throw new Error(`attacker upload: HTTP ${String(a.status)} ${a.body.toString()}`);
      return json<{ videoId: string; upload: { url: string } }>(a);
    };
    this.sseVideo = (await create(1000)).videoId; // never sent: it stays `uploading`, so its status stream stays open
    this.slowUrl = new URL((await create(ABUSE_SHAPE.slowPutBytes)).upload.url);
  }

  /**
   * Starts every pattern: the status streams first, and the rest once each
   * stream request has had its first answer (or after SSE_FIRST_WAVE_MS).
   * Started together, the streams' 100 new connections would queue behind the
   * login burst's 40, the stalled PUTs' and the avatars' in the server's
   * accept queue, which Node (libuv ≥ 1.45) drains one connection per event
   * loop turn while the keep-alive floods keep every turn busy: on a loaded
   * 2-core machine they were accepted 5–10 s later, after a short run's
   * window had closed (and the bench had destroyed them), and the table
   * showed "max 0" streams though the cap was never reached. An attacker
   * holding streams opens them and keeps them; what this pattern measures is
   * the per-user cap while the other floods run.
   */
  async start(): Promise<void> {
    const s = ABUSE_SHAPE;
    const n = (count: number, loop: () => Promise<void>) => {
      for (let i = 0; i < count; i++) this.loops.push(loop());
    };
    const firstWave = new Promise<void>((resolve) => {
      let waiting: number = s.sseStreams;
      this.sseFirstAnswer = () => {
        if (--waiting === 0) resolve();
      };
      if (waiting <= 0) resolve();
    });
    const t0 = performance.now();
    n(s.sseStreams, () => this.sseLoop());
    this.sseFirstWaveDone = await Promise.race([firstWave.then(() => true), sleep(SSE_FIRST_WAVE_MS).then(() => false)]);
    this.sseFirstWaveMs = performance.now() - t0;
    n(s.cursorConnections, () => this.cursorLoop());
    n(s.eventConnections, () => this.eventLoop());
    n(1, () => this.loginLoop());
    n(s.avatarConnections, () => this.avatarLoop());
    n(s.slowPuts, () => this.slowPutLoop());
    for (let i = 0; i < s.unknownFieldConnections; i++) this.loops.push(this.unknownFieldLoop(i));
  }

  /** Ends every pattern (before the recorder stops: what is open then is counted as open at the end). */
  finish(): void {
    this.stopped = true;
    this.slowHeld = this.slowOpen;
  }

  /** Closes what is still open; resolves when every loop has returned (after `finish` and the client's abort). */
  async done(): Promise<void> {
    for (const req of this.sockets) req.destroy();
    await Promise.all(this.loops);
  }

  /** Afterwards, through a client that was not aborted. */
  async report(client: Client): Promise<AbuseReport> {
    const viewsAfter = await this.views(client);
    const trending = await client.send({ method: 'GET', path: '/api/v1/feed/trending?limit=50', headers: {} });
    let trendingRankAfter: number | null = null;
    if (trending.status === 200) {
      const idx = json<{ items: Array<{ id: string }> }>(trending).items.findIndex((v) => v.id === this.t.viewTarget);
      trendingRankAfter = idx < 0 ? null : idx + 1;
    }
    return {
      viewsBefore: this.viewsBefore,
      viewsAfter,
      trendingRankAfter,
      passwordsEvaluated: this.rec.count(ABUSE.login, 401),
      sseMaxOpen: this.sseMaxOpen,
      sseFirstWaveMs: this.sseFirstWaveMs,
      sseFirstWaveDone: this.sseFirstWaveDone,
      slowPutMaxOpen: this.slowMaxOpen,
      slowPutHeldToEnd: this.slowHeld,
    };
  }

  private async views(client: Client = this.client): Promise<number> {
    const a = await client.send({ method: 'GET', path: `/api/v1/videos/${this.t.viewTarget}`, headers: {} });
    return a.status === 200 ? json<{ stats: { views: number } }>(a).stats.views : NaN;
  }

  private async cursorLoop(): Promise<void> {
    while (!this.stopped) {
      await this.rec.send(this.client, ABUSE.cursor, {
        method: 'GET',
        path: `/api/v1/feed?limit=10&cursor=${forgedCursor()}`,
        headers: { 'x-forwarded-for': ATTACKER_ADDRESS },
      });
    }
  }

  private async eventLoop(): Promise<void> {
    const videoId = this.t.viewTarget;
    while (!this.stopped) {
      const events = Array.from({ length: 25 }, () => [
        { type: 'impression', videoId },
        { type: 'play', videoId },
        { type: 'progress', videoId, watchedMs: 3000 },
        { type: 'complete', videoId, watchedMs: 4000 },
      ]).flat();
      await this.rec.send(this.client, ABUSE.events, {
        method: 'POST',
        path: '/api/v1/events',
        headers: { 'x-forwarded-for': ATTACKER_ADDRESS, 'x-device-id': deviceId(), 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
    }
  }

  private async loginLoop(): Promise<void> {
    let burst = 0;
    while (!this.stopped) {
      const started = performance.now();
      const b = burst++;
      await Promise.all(
        Array.from({ length: ABUSE_SHAPE.loginBurst }, (_, i) =>
          this.rec.send(this.client, ABUSE.login, {
            method: 'POST',
            path: '/api/v1/auth/login',
            // A botnet: every guess from another address, so only the per-username lockout stands in the way.
            headers: { 'x-forwarded-for': `10.77.${b % 256}.${i + 1}`, 'content-type': 'application/json' },
            body: JSON.stringify({ username: this.t.victim.username, password: `wrong guess ${b}-${i}` }),
          }),
        ),
      );
      await this.pause(ABUSE_SHAPE.loginEveryMs - (performance.now() - started));
    }
  }

  private async avatarLoop(): Promise<void> {
    while (!this.stopped) {
      await this.rec.send(this.client, ABUSE.avatar, {
        method: 'PUT',
        path: '/api/v1/me/avatar',
        headers: { ...this.attackerHeaders, 'content-type': 'image/png' },
        body: this.t.avatarPng,
      });
    }
  }

  private async unknownFieldLoop(offset: number): Promise<void> {
    const h = { ...this.attackerHeaders, 'content-type': 'application/json' };
    for (let i = offset; !this.stopped; i++) {
      switch (i % 3) {
        case 0: // the case: `privacy` for `visibility` must not publish a public video
          await this.rec.send(this.client, ABUSE.unknownUpload, {
            method: 'POST',
            path: '/api/v1/uploads',
            headers: h,
            body: JSON.stringify({ filename: 'secret.mp4', contentType: 'video/mp4', size: 1000, privacy: 'private' }),
          });
          break;
        case 1:
          await this.rec.send(this.client, ABUSE.unknownProfile, {
            method: 'PATCH',
            path: '/api/v1/me',
            headers: h,
            body: JSON.stringify({ bio: 'hello', role: 'admin' }),
          });
          break;
        default:
          await this.rec.send(this.client, ABUSE.unknownComment, {
            method: 'POST',
            path: `/api/v1/videos/${this.t.commentTarget}/comments`,
            headers: h,
            body: JSON.stringify({ text: 'first!', pinned: true }),
          });
      }
    }
  }

  /** PUTs the declared size less a few bytes at once, then one byte every `slowByteMs`: a body that never quite ends. */
  private async slowPutLoop(): Promise<void> {
    const url = this.slowUrl!;
    const size = ABUSE_SHAPE.slowPutBytes;
    while (!this.stopped) {
      const t0 = performance.now();
      const outcome = await new Promise<Outcome | null>((resolve) => {
        let settled = false;
        let sent = size - 64;
        const req = http.request({
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: url.pathname + url.search,
          headers: { 'content-type': 'video/mp4', 'content-length': String(size), 'x-forwarded-for': ATTACKER_ADDRESS },
          agent: false,
        });
        const unanswered = this.rec.opened(ABUSE.slowPut);
        const done = (o: Outcome | null) => {
          if (settled) return;
          settled = true;
          unanswered();
          clearInterval(trickle);
          this.sockets.delete(req);
          this.slowOpen--;
          req.destroy();
          resolve(o);
        };
        this.sockets.add(req);
        this.slowOpen++;
        if (this.rec.recording) this.slowMaxOpen = Math.max(this.slowMaxOpen, this.slowOpen);
        req.on('response', (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        });
        // Ours (stop) is not an outcome; the server dropping the connection is.
        req.on('error', (err) => done(this.stopped ? null : networkOutcome(err) === 'error' ? 'error' : 'closed'));
        req.on('close', () => done(this.stopped ? null : 'closed'));
        req.write(Buffer.alloc(sent));
        const trickle = setInterval(() => {
          if (sent < size - 1) {
            req.write(Buffer.alloc(1));
            sent++;
          }
        }, ABUSE_SHAPE.slowByteMs);
      });
      if (outcome === null) return;
      this.rec.record(ABUSE.slowPut, outcome, performance.now() - t0);
      await this.pause(1000);
    }
  }

  private async sseLoop(): Promise<void> {
    let first = true;
    const answered = () => {
      if (first) this.sseFirstAnswer();
      first = false;
    };
    while (!this.stopped) {
      const t0 = performance.now();
      const outcome = await new Promise<Outcome | null>((resolve) => {
        let opened = false;
        let settled = false;
        const req = http.get({
          host: this.client.origin.hostname,
          port: this.client.origin.port,
          path: `/api/v1/videos/${this.sseVideo}/events`,
          headers: { ...this.attackerHeaders, accept: 'text/event-stream' },
          agent: false,
        });
        const unanswered = this.rec.opened(ABUSE.sse);
        const done = (o: Outcome | null) => {
          clearTimeout(noAnswer);
          unanswered();
          answered();
          if (opened) this.sseOpen--;
          opened = false;
          if (settled) return;
          settled = true;
          this.sockets.delete(req);
          resolve(o);
        };
        this.sockets.add(req);
        const noAnswer = setTimeout(() => {
          done('timeout');
          req.destroy();
        }, SSE_ANSWER_TIMEOUT_MS);
        req.on('response', (res) => {
          clearTimeout(noAnswer);
          unanswered();
          answered();
          const status = res.statusCode ?? 0;
          this.rec.record(ABUSE.sse, status, performance.now() - t0);
          if (status === 200) {
            opened = true;
            this.sseOpen++;
            if (this.rec.recording) this.sseMaxOpen = Math.max(this.sseMaxOpen, this.sseOpen);
          }
          res.resume();
          res.on('end', () => done(null));
          res.on('close', () => done(null));
        });
        // Before an answer, a dropped connection is an outcome; once a stream is open, it just ends.
        req.on('error', (err) => done(this.stopped || opened ? null : networkOutcome(err)));
      });
      if (outcome !== null) this.rec.record(ABUSE.sse, outcome, performance.now() - t0);
      await this.pause(1000);
    }
  }

  private async pause(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (!this.stopped && performance.now() < end) await sleep(Math.min(200, end - performance.now()));
  }
}
