-- Durable job queue (src/adapters/queue/db-job-queue.ts). Jobs live in the
-- database so one can be enqueued in the same transaction as the state change
-- that causes it, and so PGlite and PostgreSQL share one implementation.
CREATE TABLE jobs (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  queue        text NOT NULL,
  payload      jsonb NOT NULL DEFAULT 'null'::jsonb,
  status       text NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'running', 'done', 'dead')),
  -- Runs started so far (incremented on claim; a released job gives its run back).
  attempt      integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  -- Not before this time (delayed jobs, retry backoff).
  run_at       timestamptz NOT NULL DEFAULT now(),
  -- While running: the worker holds the job until then unless it heartbeats.
  lease_until  timestamptz,
  locked_by    text,
  dedupe_key   text,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  CHECK (status <> 'running' OR (lease_until IS NOT NULL AND locked_by IS NOT NULL))
);

-- One unfinished job per (queue, dedupe_key); finished ones do not block a new one.
CREATE UNIQUE INDEX jobs_dedupe_unfinished ON jobs (queue, dedupe_key)
  WHERE status IN ('queued', 'running');

-- Claiming: due queued jobs, and running jobs whose lease expired (crashed worker).
CREATE INDEX jobs_claim_queued ON jobs (queue, run_at) WHERE status = 'queued';
CREATE INDEX jobs_claim_expired ON jobs (queue, lease_until) WHERE status = 'running';

-- Dead-letter inspection and retention sweeps.
CREATE INDEX jobs_finished ON jobs (queue, status, finished_at) WHERE status IN ('done', 'dead');
