-- Fake views and unbounded events (issue 11, point 4).
--
-- Anonymous views are counted per client address as well as per device, so
-- rotating X-Device-Id from one address cannot mint views: each view row of
-- an anonymous viewer carries a keyed hash of its address (IPv4, or the IPv6
-- /64; never the address itself), and an address has a budget of views per
-- video per UTC day. Trending counts anonymous viewers by distinct address.

-- Null for signed-in viewers (and for rows written before this migration).
ALTER TABLE video_views ADD COLUMN address text;

-- Anonymous views each address has counted per video and day (the budget).
-- Only the current day's rows matter; older ones are pruned with the events.
CREATE TABLE view_budgets (
  video_id text    NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  address  text    NOT NULL,
  period   integer NOT NULL,
  used     integer NOT NULL CHECK (used >= 0),
  PRIMARY KEY (video_id, address, period)
);
CREATE INDEX view_budgets_period_idx ON view_budgets (period);

-- false: sent by an anonymous device beyond its address's allowance of new
-- device ids (EVENTS_NEW_DEVICES_PER_IP). Kept, so that device's own For You
-- history still works, but never counted: no views, no trial exposure, no
-- training.
ALTER TABLE events ADD COLUMN counted boolean NOT NULL DEFAULT true;
