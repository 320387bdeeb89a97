import { z } from 'zod';
import { cursorQuery } from '../../lib/http/api-schemas.js';

export const ForYouQuery = z.object({
  limit: z.coerce.number().int().min(1).max(30).default(10).describe('Items per page'),
  cursor: cursorQuery(),
});
export type ForYouParams = z.infer<typeof ForYouQuery>;
