-- Playback batch rows carry their events' times as millisecond offsets from
-- the row's received_at (issue 14: ingest CPU). The events route already
-- sends client times that way; storing them as they come saves PostgreSQL a
-- timestamp per event on the way in (computed, then sorted into an array)
-- and on the way out (formatted as text for delivery), and DuckDB parsing
-- it back: delivery computes received_at + offset (lake-delivery.ts,
-- parquet-writer.ts). Client times are clamped to [received_at - 24 h,
-- received_at] (view-rule.ts), so an offset fits an integer.
--
-- Rows written before this migration (event_times) stay valid and are
-- delivered as before: a batch row has exactly one of the two arrays.
ALTER TABLE lake_buffer ADD COLUMN event_offsets_ms integer[];

ALTER TABLE lake_buffer DROP CONSTRAINT lake_buffer_shape;
ALTER TABLE lake_buffer ADD CONSTRAINT lake_buffer_shape CHECK (
  CASE WHEN types IS NULL
    THEN n_events = 1 AND type IS NOT NULL AND event_time IS NOT NULL AND event_offsets_ms IS NULL
    ELSE kind = 'playback' AND n_events BETWEEN 1 AND 65536 AND cardinality(types) = n_events
      AND CASE WHEN event_offsets_ms IS NULL THEN cardinality(event_times) = n_events
               ELSE event_times IS NULL AND cardinality(event_offsets_ms) = n_events END
      AND cardinality(video_ids) = n_events
      AND cardinality(creator_ids) = n_events AND cardinality(watched_ms_list) = n_events
      AND cardinality(duration_ms_list) = n_events AND cardinality(sources) = n_events
  END
);

-- The buffer one row per event, as delivery writes it (tools, tests, `curta lake`): either form of batch row.
CREATE OR REPLACE VIEW lake_buffer_events AS
  SELECT b.seq, b.xid, b.event_id, b.event_time, b.received_at, b.kind, b.type, b.video_id, b.creator_id, b.user_id,
         b.device_id, b.watched_ms, b.duration_ms, b.source, b.counted, b.stage, b.ok, b.elapsed_ms, b.bytes, b.attrs
  FROM lake_buffer b WHERE b.types IS NULL
  UNION ALL
  SELECT b.seq, b.xid, lake_event_id(b.event_id, (x.o - 1)::integer),
         coalesce(x.event_time, b.received_at + x.offset_ms * interval '1 millisecond'), b.received_at, b.kind, x.type,
         x.video_id, x.creator_id, b.user_id, b.device_id, x.watched_ms, x.duration_ms, x.source, b.counted, b.stage, b.ok,
         b.elapsed_ms, b.bytes, b.attrs
  FROM lake_buffer b,
       unnest(b.event_times, b.event_offsets_ms, b.types, b.video_ids, b.creator_ids, b.watched_ms_list, b.duration_ms_list,
              b.sources)
         WITH ORDINALITY AS x(event_time, offset_ms, type, video_id, creator_id, watched_ms, duration_ms, source, o)
  WHERE b.types IS NOT NULL;
