import { z } from 'zod';
import { count, cursorQuery, isoTime } from '../../lib/http/api-schemas.js';
import { responseSchema } from '../../lib/http/schema-registry.js';

export const ForYouQuery = z.object({
  limit: z.coerce.number().int().min(1).max(30).default(10).describe('Items per page'),
  cursor: cursorQuery(),
});
export type ForYouParams = z.infer<typeof ForYouQuery>;

export const NotInterestedResult = responseSchema(
  'NotInterestedResult',
  z.object({ notInterested: z.boolean().describe('Whether the video is now marked "Not interested" for you') }),
);

const FoldIn = z.object({
  negativeExposure: z.number().describe('Whether being shown (a negative) counts as interest (0: only engagement)'),
  preferenceWeight: z.number().describe('Positives through the co-liked graph, relative to the co-shown one'),
  negativePreference: z.number().describe('How hard a negative pushes down what was co-liked with it'),
  rateExponent: z.number().describe('Engagement-rate reweighting (0: off)'),
});

const Selection = z.object({
  status: z.enum(['tuned', 'untuned']).describe('tuned: chosen on the holdout; untuned: the production defaults (see reason)'),
  reason: z.string(),
  chosen: z.string().describe('The chosen candidate, in words'),
  kind: z.enum(['popularity', 'model']).describe('popularity: the model off, the popularity prior alone'),
  foldIn: FoldIn.nullable(),
  blend: z
    .object({ personal: z.number(), trending: z.number() })
    .describe('Fusion weights of the model and the popularity prior as served'),
  rule: z.string().describe('The overfitting guard'),
  holdout: z
    .object({
      viewers: count(),
      k: count(),
      chosenNdcg: z.number(),
      popularityNdcg: z.number(),
      defaultsNdcg: z.number(),
      bestNdcg: z.number(),
      best: z.string(),
      se: z.number().describe('Standard error of the paired per-viewer difference best − chosen'),
    })
    .nullable()
    .describe('NDCG@k on the most recent 20 % of each viewer history, held out; null when untuned'),
  candidates: count(),
  searchMs: z.number(),
});

export const AdminRecsModels = responseSchema(
  'AdminRecsModels',
  z.object({
    models: z
      .array(
        z.object({
          version: count(),
          trainedAt: isoTime,
          users: count(),
          videos: count(),
          pairs: count(),
          trainMs: count(),
          selection: Selection.nullable().describe('What the training run chose; null for a model trained before self-tuning'),
        }),
      )
      .describe('The kept model versions, newest first'),
  }),
);
export type AdminRecsModels = z.infer<typeof AdminRecsModels>;
