-- The data lake (issue 14): Kinesis Firehose's role. Every event bound for the
-- lake is first appended here, in the transaction of the change it describes
-- (a playback batch, a like, a status change), then delivered in batches as
-- Parquet files under lake/events/dt=YYYY-MM-DD/hour=HH/ in the object store.
--
-- Exactly once: a delivery first records its batch (a fixed range of
-- (xid, seq) keys, all of whose transactions have ended: below the snapshot's
-- xmin), then writes one file per partition with names that depend only on the
-- batch, then in one transaction marks the batch delivered, lists its files
-- and deletes its rows. A crash anywhere re-runs the same batch into the same
-- keys: nothing lost, nothing twice.
CREATE TABLE lake_buffer (
  seq          bigserial PRIMARY KEY,
  xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id     uuid NOT NULL DEFAULT gen_random_uuid(),
  event_time   timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  kind         text NOT NULL CHECK (kind IN ('playback', 'engagement', 'pipeline')),
  type         text NOT NULL,
  video_id     text,
  creator_id   text,
  user_id      text,
  device_id    text,
  watched_ms   integer,
  duration_ms  integer,
  source       text,
  counted      boolean,
  stage        text,
  ok           boolean,
  elapsed_ms   bigint,
  bytes        bigint,
  attrs        jsonb
);
CREATE INDEX lake_buffer_order_idx ON lake_buffer (xid, seq);

-- One row per delivery batch: the key range it covers, fixed before any file is written.
CREATE TABLE lake_batches (
  id           bigserial PRIMARY KEY,
  from_xid     xid8 NOT NULL,
  from_seq     bigint NOT NULL,
  to_xid       xid8 NOT NULL,
  to_seq       bigint NOT NULL,
  events       integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX lake_batches_pending_idx ON lake_batches (id) WHERE delivered_at IS NULL;

-- The manifest: every Parquet file of the lake that readers should see
-- ("live"), with its partition and size. Compaction swaps a partition's small
-- files for one in a transaction here, so our readers never see both; engines
-- that list the prefix (Athena, Spark) may for the seconds until the sources
-- are deleted.
CREATE TABLE lake_files (
  key          text PRIMARY KEY,
  dt           date NOT NULL,
  hour         smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  events       integer NOT NULL,
  bytes        bigint NOT NULL,
  min_time     timestamptz NOT NULL,
  max_time     timestamptz NOT NULL,
  batch_id     bigint,
  state        text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'replaced')),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lake_files_partition_idx ON lake_files (dt, hour) WHERE state = 'live';
