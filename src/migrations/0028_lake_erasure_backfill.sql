-- The lake's right to erasure, and the backfill of history from before the lake.
--
-- 1. Erasure. Deleting an account records one lake_erasures row in the same
-- transaction (and scrubs lake_buffer there). The lake maintenance job
-- (lake-erasure.ts) then rewrites every lake file holding the account's rows
-- through the compaction machinery (a lake_compactions row with erasure_id:
-- recorded, filtered file written under a new key, manifest swap, old object
-- deleted; crash-safe the same way) and deletes the aggregates of the days
-- and months it touched. What goes: every row whose user_id is the account,
-- and every row of a device the account used (its anonymous history);
-- rows of other viewers about the account's videos stay, with creator_id
-- nulled (anonymous aggregates: nothing in them names the account).
CREATE TABLE lake_erasures (
  id            bigserial PRIMARY KEY,
  user_id       text NOT NULL,
  -- Devices the account was seen on (from the OLTP events at deletion, completed from the lake by the job).
  device_ids    text[] NOT NULL DEFAULT '{}',
  -- The account's creation less two days (a client's event time may be 24 h early): no lake row of it is
  -- older, so the job reads only files from then on.
  since         timestamptz,
  -- The last delivery batch recorded when the job first saw the request (so after the deletion committed):
  -- the job waits until it and every batch before it are delivered (they may have read the account's rows
  -- before the deletion committed; later ones read after it).
  after_batch   bigint,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
  files         integer NOT NULL DEFAULT 0,
  events        bigint NOT NULL DEFAULT 0,
  attempts      integer NOT NULL DEFAULT 0,
  error         text,
  finished_at   timestamptz
);
CREATE INDEX lake_erasures_pending_idx ON lake_erasures (id) WHERE state = 'pending';

ALTER TABLE lake_compactions ADD COLUMN erasure_id bigint REFERENCES lake_erasures (id);

-- 2. Backfill. Playback events recorded before migration 0019 were never
-- copied into lake_buffer. They are the events rows with an id up to
-- upto_id: those received before 0019 was applied (every later row was
-- written together with its buffer row, in one statement). The backfill
-- (lake-backfill.ts) copies them into lake_buffer in id order, moving
-- next_id in the same transaction: each exactly once, resumable, and from
-- there delivered like any event. Their lake event ids are a function of
-- events.id (lake_backfill_event_id), so a copy is recognisable and a
-- duplicate provable. The OLTP retention keeps every row the backfill has
-- not passed yet.
CREATE TABLE lake_backfill (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  upto_id      bigint NOT NULL,
  next_id      bigint NOT NULL DEFAULT 0,
  events       bigint NOT NULL DEFAULT 0,
  started_at   timestamptz NOT NULL DEFAULT now(),
  done_at      timestamptz
);
-- Only where there is something to copy: a new database has no row (nothing
-- to backfill), so it stays empty for `curta restore`.
INSERT INTO lake_backfill (upto_id)
SELECT max(e.id)
FROM events e
WHERE e.received_at < coalesce((SELECT applied_at FROM schema_migrations WHERE version = 19), now())
HAVING max(e.id) IS NOT NULL;

-- The lake event id of backfilled events row `id` (its own namespace: random ids have version 4 here, never 'b').
CREATE FUNCTION lake_backfill_event_id(id bigint) RETURNS uuid
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN ('b0000000-0000-b000-8000-' || lpad(to_hex(id), 12, '0'))::uuid;
