-- The cover frame its owner chose (PATCH /api/v1/videos/{id} coverTimeMs), in
-- milliseconds from the start; null: the automatic one processing picked.
-- The poster itself is a new object per choice (videos.playback.poster), so
-- its URL changes and caches show the new one.
ALTER TABLE videos ADD COLUMN cover_time_ms integer CHECK (cover_time_ms >= 0);
