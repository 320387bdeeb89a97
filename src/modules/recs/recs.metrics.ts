import { Gauge, type Registry } from 'prom-client';
import type { ModelHolder } from './model-store.js';

/**
 * What the served model's training run chose (self-tuning), on /metrics:
 * read from the model this process ranks with, at scrape time.
 */
export function registerRecsMetrics(registry: Registry, models: ModelHolder): void {
  const selection = () => models.selection;
  new Gauge({
    name: 'curta_recs_tuned',
    help: 'Whether the served For You model was self-tuned on a holdout (1), or serves the production defaults (0: holdout too small, search off, or trained before self-tuning)',
    registers: [registry],
    collect() {
      this.set(selection()?.status === 'tuned' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'curta_recs_popularity_only',
    help: 'Whether the self-tuning chose popularity only (the model off) for the served For You ranking',
    registers: [registry],
    collect() {
      this.set(selection()?.kind === 'popularity' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'curta_recs_blend_weight',
    help: 'Reciprocal-rank fusion weight of a For You source as served (personal: the model; trending: the popularity prior)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      const b = selection()?.blend ?? { personal: 1, trending: 0.35 };
      this.set({ source: 'personal' }, b.personal);
      this.set({ source: 'trending' }, b.trending);
    },
  });
  new Gauge({
    name: 'curta_recs_holdout_ndcg',
    help: "NDCG@20 on the training run's time-split holdout: the chosen ranking, popularity only, the production defaults and the best candidate",
    labelNames: ['ranking'],
    registers: [registry],
    collect() {
      this.reset();
      const h = selection()?.holdout;
      if (!h) return;
      this.set({ ranking: 'chosen' }, h.chosenNdcg);
      this.set({ ranking: 'popularity' }, h.popularityNdcg);
      this.set({ ranking: 'defaults' }, h.defaultsNdcg);
      this.set({ ranking: 'best' }, h.bestNdcg);
    },
  });
  new Gauge({
    name: 'curta_recs_search_seconds',
    help: "How long the served model's self-tuning search took",
    registers: [registry],
    collect() {
      this.set((selection()?.searchMs ?? 0) / 1000);
    },
  });
}
