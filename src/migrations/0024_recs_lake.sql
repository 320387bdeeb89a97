-- The recommender trains from the Parquet lake (issue 14).
--
-- A model records the newest delivered lake batch its history included, so a
-- scheduled run with nothing delivered since is skipped. Null: the model was
-- trained from the OLTP events table (before the lake; max_event_id).
ALTER TABLE recs_models ADD COLUMN lake_batch_id bigint;

-- Undo events. The OLTP tables hold only standing likes, comments and "Not
-- interested" marks (an unlike deletes the row); the lake is a log, so taking
-- one back is an event of its own, written by a trigger on the delete like
-- the action itself (0019): 'unlike', 'delete_comment' (attrs.commentId) and
-- 'undo_not_interested'. Training reads a like or a mark as standing when the
-- latest event of the pair says so, a comment when one of the viewer's
-- comments on the video was not deleted. Separate types (rather than a flag
-- on 'like') keep counts of type = 'like' meaning likes given.
CREATE FUNCTION lake_engagement_undone() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r       jsonb := to_jsonb(OLD);
  video   text := r->>'video_id';
  creator text;
  attrs   jsonb;
BEGIN
  SELECT owner_id INTO creator FROM videos WHERE id = video;
  IF TG_TABLE_NAME = 'comments' THEN
    attrs := jsonb_build_object('commentId', r->>'id');
  END IF;
  INSERT INTO lake_buffer (event_time, kind, type, video_id, creator_id, user_id, attrs)
  VALUES (now(), 'engagement', TG_ARGV[0], video, creator, coalesce(r->>'user_id', r->>'author_id'), attrs);
  RETURN NULL;
END
$$;
CREATE TRIGGER video_likes_lake_undone AFTER DELETE ON video_likes FOR EACH ROW EXECUTE FUNCTION lake_engagement_undone('unlike');
CREATE TRIGGER comments_lake_undone AFTER DELETE ON comments FOR EACH ROW EXECUTE FUNCTION lake_engagement_undone('delete_comment');
CREATE TRIGGER video_not_interested_lake_undone AFTER DELETE ON video_not_interested
  FOR EACH ROW EXECUTE FUNCTION lake_engagement_undone('undo_not_interested');
