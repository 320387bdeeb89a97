-- Drafts and scheduled publishing (issue 13). A video is published from
-- `publish_at` on: NULL is a draft (never published until its owner says so),
-- a future time is scheduled. Until then only its owner sees it, anywhere
-- (src/modules/videos/visibility.ts decides it in every query against now(),
-- so it appears at that time in every process without any timer flipping
-- state). Existing videos were published when they were created.
ALTER TABLE videos ADD COLUMN publish_at timestamptz DEFAULT now();
UPDATE videos SET publish_at = created_at;

-- The cover frame the owner picked before processing finished (the studio's
-- cover picker), ms from the start: applied once the video is ready, then
-- cleared (cover_time_ms then says which frame the poster shows).
ALTER TABLE videos ADD COLUMN requested_cover_ms integer CHECK (requested_cover_ms >= 0);

