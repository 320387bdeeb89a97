-- Self-tuning (issue 16): each training run chooses the served ranking on a
-- time-split holdout of its own history (src/modules/recs/tuning/) and
-- records what it chose and why with the model version: the chosen
-- candidate, its fold-in settings and blend weights (the For You feed serves
-- with them), the rule, and the holdout figures (NDCG@20 of the chosen one,
-- popularity only, the production defaults and the best candidate). Null for
-- models trained before this migration: they serve with the default blend.
ALTER TABLE recs_models ADD COLUMN selection jsonb;
