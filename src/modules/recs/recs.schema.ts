import { z } from 'zod';
import { cursorQuery } from '../../lib/http/api-schemas.js';
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
