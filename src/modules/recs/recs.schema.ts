import { z } from 'zod';

export const ForYouQuery = z.object({
  limit: z.coerce.number().int().min(1).max(30).default(10).describe('Items per page'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16}\.[0-9]{1,4}$/, 'not a cursor this feed handed out')
    .optional()
    .describe("The previous page's nextCursor"),
});
export type ForYouParams = z.infer<typeof ForYouQuery>;
