-- Compact playback capture (issue 14: ingest at ≥ 50,000 events/s on two cores).
--
-- A playback batch (up to 500 events of one viewer, one request) becomes ONE
-- lake_buffer row instead of one row per event: the per-event columns as
-- arrays (event_times, types, video_ids, ...), the shared ones (received_at,
-- user_id, device_id, counted) once. One heap tuple, one index entry and one
-- random uuid per batch instead of per event; delivery expands the arrays
-- (DuckDB, in the worker, see lake-delivery.ts).
--
-- Event ids stay per event and are fixed when the row is written: event i
-- (0-based) of a batch row has the row's event_id with its last 4 hex digits
-- replaced by i (lake_event_id below; 106 random bits left: no collision in
-- practice, and none within a row). Delivery writes the same ids however
-- often it re-runs a batch, so exactly-once is proved by the event id as before.
--
-- Single-event rows (engagement and pipeline triggers, older rows) are
-- unchanged: types IS NULL, n_events = 1. Existing buffered rows need no
-- rewrite (new columns are null or their default).
ALTER TABLE lake_buffer
  ALTER COLUMN event_time DROP NOT NULL,
  ALTER COLUMN type DROP NOT NULL,
  ADD COLUMN n_events integer NOT NULL DEFAULT 1,
  ADD COLUMN event_times timestamptz[],
  ADD COLUMN types text[],
  ADD COLUMN video_ids text[],
  ADD COLUMN creator_ids text[],
  ADD COLUMN watched_ms_list integer[],
  ADD COLUMN duration_ms_list integer[],
  ADD COLUMN sources text[];

ALTER TABLE lake_buffer ADD CONSTRAINT lake_buffer_shape CHECK (
  CASE WHEN types IS NULL
    THEN n_events = 1 AND type IS NOT NULL AND event_time IS NOT NULL
    ELSE kind = 'playback' AND n_events BETWEEN 1 AND 65536 AND cardinality(types) = n_events
      AND cardinality(event_times) = n_events AND cardinality(video_ids) = n_events
      AND cardinality(creator_ids) = n_events AND cardinality(watched_ms_list) = n_events
      AND cardinality(duration_ms_list) = n_events AND cardinality(sources) = n_events
  END
);

-- The id of event `ordinal` (0-based) of a batch row whose event_id is `base`.
-- Delivery computes the same in DuckDB (lake-delivery.ts); a test compares them.
CREATE FUNCTION lake_event_id(base uuid, ordinal integer) RETURNS uuid
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (left(base::text, 32) || lpad(to_hex(ordinal), 4, '0'))::uuid;

-- The buffer one row per event, as delivery will write it (tools, tests, `curta lake`).
CREATE VIEW lake_buffer_events AS
  SELECT b.seq, b.xid, b.event_id, b.event_time, b.received_at, b.kind, b.type, b.video_id, b.creator_id, b.user_id,
         b.device_id, b.watched_ms, b.duration_ms, b.source, b.counted, b.stage, b.ok, b.elapsed_ms, b.bytes, b.attrs
  FROM lake_buffer b WHERE b.types IS NULL
  UNION ALL
  SELECT b.seq, b.xid, lake_event_id(b.event_id, (x.o - 1)::integer), x.event_time, b.received_at, b.kind, x.type, x.video_id,
         x.creator_id, b.user_id, b.device_id, x.watched_ms, x.duration_ms, x.source, b.counted, b.stage, b.ok, b.elapsed_ms,
         b.bytes, b.attrs
  FROM lake_buffer b,
       unnest(b.event_times, b.types, b.video_ids, b.creator_ids, b.watched_ms_list, b.duration_ms_list, b.sources)
         WITH ORDINALITY AS x(event_time, type, video_id, creator_id, watched_ms, duration_ms, source, o)
  WHERE b.types IS NOT NULL;
