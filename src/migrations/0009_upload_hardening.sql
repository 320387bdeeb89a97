-- The original's ETag as storage reported it when the upload completed.
-- Processing compares it with the object it reads: on S3 a presigned URL can
-- be replayed until it expires, and a replaced original must not be processed
-- (nor kept) as if it were the file the owner uploaded. NULL for rows from
-- before this migration (not checked).
ALTER TABLE videos ADD COLUMN original_etag text;
