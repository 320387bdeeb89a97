/**
 * The soak bench's HTTP client and tally: plain node:http on keep-alive
 * sockets (one request at a time per simulated connection), every answer
 * timed and filed under its route with its status.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { percentile } from '../support/report.js';

/** An HTTP status, or what happened instead of one. */
export type Outcome = number | 'timeout' | 'reset' | 'error' | 'closed';

export interface Answer {
  status: Outcome;
  ms: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Send {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Count the bytes, keep none (media). */
  discardBody?: boolean;
  timeoutMs?: number;
}

const TIMEOUT_MS = 30_000;

/** Requests to one origin, all abandoned at once when `signal` aborts (their answers are then never recorded). */
export class Client {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

  constructor(
    readonly origin: URL,
    readonly signal: AbortSignal,
  ) {
    setMaxListeners(0, signal); // one listener per request in flight
  }

  send(req: Send): Promise<Answer> {
    const t0 = performance.now();
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    return new Promise<Answer>((resolve) => {
      let settled = false;
      const done = (status: Outcome, res?: http.IncomingMessage, body: Buffer = Buffer.alloc(0)) => {
        if (settled) return;
        settled = true;
        resolve({ status, ms: performance.now() - t0, headers: res?.headers ?? {}, body });
      };
      const r = http.request(
        {
          host: this.origin.hostname,
          port: this.origin.port,
          method: req.method,
          path: req.path,
          headers,
          agent: this.agent,
          signal: this.signal,
          timeout: req.timeoutMs ?? TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            if (!req.discardBody) chunks.push(chunk);
          });
          res.on('end', () => done(res.statusCode ?? 0, res, Buffer.concat(chunks)));
          res.on('error', (err) => done(networkOutcome(err), res));
        },
      );
      r.on('timeout', () => {
        done('timeout');
        r.destroy();
      });
      r.on('error', (err) => done(networkOutcome(err)));
      r.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function networkOutcome(err: Error & { code?: string }): Outcome {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.message === 'socket hang up') return 'reset';
  return 'error';
}

export function json<T>(answer: Answer): T {
  return JSON.parse(answer.body.toString('utf8')) as T;
}

// ---------------------------------------------------------------------- tally

export interface RouteSpec {
  /** Part of the abuse run's extra traffic (not the clean mix). */
  abuse?: boolean;
  /**
   * What counts as a deliberate refusal of this traffic rather than an error
   * (429 always does): e.g. 400 for a forged cursor, 401 for a wrong password.
   */
  refusals?: readonly Outcome[];
}

export interface RouteTally {
  route: string;
  abuse: boolean;
  requests: number;
  p50: number;
  p99: number;
  ok: number;
  limited: number;
  refused: number;
  errors: number;
  /** Sent during the measured period, still unanswered when it ended (not counted in `requests`). */
  unanswered: number;
  /** Every outcome with its count, most frequent first. */
  outcomes: Array<[Outcome, number]>;
}

export type Verdict = 'ok' | 'limited' | 'refused' | 'error';

export function classify(status: Outcome, refusals: readonly Outcome[] = []): Verdict {
  if (typeof status === 'number' && status >= 200 && status < 400) return 'ok';
  if (status === 429) return 'limited';
  if (refusals.includes(status)) return 'refused';
  return 'error';
}

/** Per-route counts and latencies, recorded only while `recording` (after the warm-up). */
export class Recorder {
  recording = false;
  private readonly routes = new Map<
    string,
    { spec: RouteSpec; latencies: number[]; outcomes: Map<Outcome, number>; inFlight: number; unanswered: number }
  >();

  define(route: string, spec: RouteSpec = {}): string {
    if (!this.routes.has(route)) this.routes.set(route, { spec, latencies: [], outcomes: new Map(), inFlight: 0, unanswered: 0 });
    return route;
  }

  /** Ends the measured period: what is in flight now is counted as unanswered. */
  stop(): void {
    this.recording = false;
    for (const r of this.routes.values()) r.unanswered = r.inFlight;
  }

  record(route: string, status: Outcome, ms: number): void {
    if (!this.recording) return;
    const r = this.routes.get(route);
    if (!r) throw new Error(`route not defined: ${route}`);
    r.latencies.push(ms);
    r.outcomes.set(status, (r.outcomes.get(status) ?? 0) + 1);
  }

  /** Sends and records in one go. */
  async send(client: Client, route: string, req: Send): Promise<Answer> {
    const r = this.routes.get(route);
    const counted = this.recording && r !== undefined;
    if (counted) r.inFlight++;
    try {
      const answer = await client.send(req);
      if (!client.signal.aborted) this.record(route, answer.status, answer.ms);
      return answer;
    } finally {
      if (counted) r.inFlight--;
    }
  }

  /** For requests sent outside `send` (streams): counted as unanswered if still open at `stop`. */
  opened(route: string): () => void {
    const r = this.routes.get(route);
    if (!r || !this.recording) return () => undefined;
    r.inFlight++;
    let closed = false;
    return () => {
      if (!closed) r.inFlight--;
      closed = true;
    };
  }

  count(route: string, status: Outcome): number {
    return this.routes.get(route)?.outcomes.get(status) ?? 0;
  }

  /** Latencies of these routes together, sorted. */
  latencies(routes: readonly string[]): number[] {
    return routes.flatMap((r) => this.routes.get(r)?.latencies ?? []).sort((a, b) => a - b);
  }

  tally(): RouteTally[] {
    return [...this.routes].map(([route, { spec, latencies, outcomes, unanswered }]) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      const t: RouteTally = {
        route,
        abuse: spec.abuse ?? false,
        requests: latencies.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        ok: 0,
        limited: 0,
        refused: 0,
        errors: 0,
        unanswered,
        outcomes: [...outcomes].sort((a, b) => b[1] - a[1]),
      };
      const field = { ok: 'ok', limited: 'limited', refused: 'refused', error: 'errors' } as const;
      for (const [status, n] of outcomes) t[field[classify(status, spec.refusals)]] += n;
      return t;
    });
  }
}
