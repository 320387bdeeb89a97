import { z } from 'zod';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';

/** Who sees what of an account's activity. */
export const Privacy = responseSchema(
  'Privacy',
  z.object({
    likedVideosPublic: z
      .boolean()
      .describe('Others may see the videos you liked (the Liked tab on your profile); off unless you turn it on'),
  }),
);
export type Privacy = z.infer<typeof Privacy>;

export const UpdatePrivacy = requestSchema(
  'UpdatePrivacy',
  z
    .object({ likedVideosPublic: z.boolean().optional() })
    .strict()
    .refine((p) => p.likedVideosPublic !== undefined, { error: 'send likedVideosPublic' })
    .meta({ examples: [{ likedVideosPublic: true }] }),
);
export type UpdatePrivacyInput = z.infer<typeof UpdatePrivacy>;
