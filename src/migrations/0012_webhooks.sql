-- Webhooks: endpoints that operators and API clients register, the events
-- (an outbox written in the transaction of the change it reports), and every
-- delivery with its attempts (src/modules/webhooks).

-- owner_id NULL: an operator's endpoint (created by an admin), which receives
-- the events of every video; otherwise the events of its owner's videos only.
CREATE TABLE webhook_endpoints (
  id          text PRIMARY KEY,
  owner_id    text REFERENCES users (id) ON DELETE CASCADE,
  created_by  text REFERENCES users (id) ON DELETE SET NULL,
  url         text NOT NULL,
  description text NOT NULL DEFAULT '',
  events      text[] NOT NULL,
  -- The HMAC key deliveries are signed with: kept as is, since signing needs it (shown to its owner once).
  secret      text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (owner_id, created_at DESC);

-- The outbox: one row per event, written by the trigger below in the same
-- transaction as the change it reports, so an event is never lost to a crash
-- between the change and its announcement, nor announced for a change that
-- rolled back. Workers fan each one out to deliveries and mark it dispatched.
CREATE TABLE webhook_events (
  id            text PRIMARY KEY DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', '')),
  type          text NOT NULL,
  -- Whose video it is (user endpoints receive their own videos' events); no foreign key: the account may be gone.
  owner_id      text,
  data          jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  dispatched_at timestamptz
);
CREATE INDEX webhook_events_pending_idx ON webhook_events (created_at, id) WHERE dispatched_at IS NULL;
CREATE INDEX webhook_events_dispatched_idx ON webhook_events (dispatched_at) WHERE dispatched_at IS NOT NULL;

-- One event for one endpoint: the exact body sent (redeliveries send the same
-- event), its state, and what the receiver answered last.
CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY,
  endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  body            text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL,
  next_attempt_at timestamptz,
  redelivery_of   text,
  created_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  finished_at     timestamptz
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE webhook_delivery_attempts (
  delivery_id     text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt         integer NOT NULL,
  at              timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  response_status integer,
  -- The first bytes of the receiver's answer (truncated).
  response_body   text,
  duration_ms     integer NOT NULL,
  -- Why no answer came: timeout, refused address, connection error.
  error           text,
  PRIMARY KEY (delivery_id, attempt)
);

-- The video events, raised by the one place every path goes through: the
-- guarded status UPDATE (processing, the reconciler, uploads) and the DELETE
-- (the owner, an account deletion). An expired upload is `upload.expired`,
-- every other failure `video.failed`. Nothing is written while no enabled
-- endpoint could want the event.
CREATE FUNCTION webhook_video_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind  text;
  owner text;
  data  jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    kind := 'video.deleted';
    owner := OLD.owner_id;
    data := jsonb_build_object('video', jsonb_build_object('id', OLD.id, 'ownerId', OLD.owner_id));
  ELSE
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
      RETURN NEW;
    END IF;
    IF NEW.status = 'ready' THEN
      kind := 'video.ready';
    ELSIF NEW.status = 'failed' AND NEW.error_code = 'upload_expired' THEN
      kind := 'upload.expired';
    ELSIF NEW.status = 'failed' THEN
      kind := 'video.failed';
    ELSE
      RETURN NEW;
    END IF;
    owner := NEW.owner_id;
    data := jsonb_build_object('video', jsonb_build_object(
      'id', NEW.id,
      'ownerId', NEW.owner_id,
      'status', NEW.status,
      'visibility', NEW.visibility,
      'durationMs', NEW.duration_ms,
      'width', NEW.width,
      'height', NEW.height,
      'error', CASE WHEN NEW.status = 'failed'
                    THEN jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message) END));
  END IF;
  IF EXISTS (SELECT 1 FROM webhook_endpoints e
             WHERE e.enabled AND kind = ANY (e.events) AND (e.owner_id IS NULL OR e.owner_id = owner)) THEN
    INSERT INTO webhook_events (type, owner_id, data) VALUES (kind, owner, data);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER videos_webhook_events
  AFTER UPDATE OF status OR DELETE ON videos
  FOR EACH ROW EXECUTE FUNCTION webhook_video_event();
