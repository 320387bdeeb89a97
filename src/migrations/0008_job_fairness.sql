-- Fair scheduling across owners (src/adapters/queue/db-job-queue.ts claim):
-- jobs carry a fairness key (for video processing, the owner), and a claim
-- serves the keys with the fewest running jobs first, then the key served
-- longest ago, so one user's backlog cannot hold the queue for everyone else.
-- Jobs enqueued without a key share the key '' (one group: plain FIFO).
ALTER TABLE jobs ADD COLUMN fairness_key text NOT NULL DEFAULT '';
-- When the job was last claimed: "served longest ago" is the newest of these per key.
ALTER TABLE jobs ADD COLUMN claimed_at timestamptz;

-- The claim walks the distinct keys of queued jobs (a loose index scan) and
-- takes each key's oldest due jobs, its running count and its last claim,
-- each by index, so it costs per waiting key rather than per waiting job.
CREATE INDEX jobs_fair_queued ON jobs (queue, fairness_key, run_at, created_at) WHERE status = 'queued';
CREATE INDEX jobs_fair_running ON jobs (queue, fairness_key) WHERE status = 'running';
CREATE INDEX jobs_fair_claimed ON jobs (queue, fairness_key, claimed_at) WHERE claimed_at IS NOT NULL;
-- The claim no longer reads queued jobs by (queue, run_at) alone.
DROP INDEX jobs_claim_queued;
