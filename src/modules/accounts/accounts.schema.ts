import { z } from 'zod';
import { count, isoTime } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { cleanText } from '../../lib/text.js';

/** What sign-up, login and a password change accept as a password. */
const Password = z.string().min(8, 'must be at least 8 characters').max(256, 'must be at most 256 characters');

export const Credentials = requestSchema(
  'Credentials',
  z
    .object({
      username: z
        .string()
        .min(3, 'must be at least 3 characters')
        .max(30, 'must be at most 30 characters')
        .regex(/^[A-Za-z0-9_.]+$/, 'may contain only letters, digits, "_" and "."'),
      password: Password,
    })
    .strict()
    .meta({ examples: [{ username: 'ana', password: 'correct horse battery staple' }] }),
);
export type CredentialsInput = z.infer<typeof Credentials>;

export const ChangePassword = requestSchema(
  'ChangePassword',
  z
    .object({
      currentPassword: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
      newPassword: Password,
    })
    .strict()
    .meta({ examples: [{ currentPassword: 'correct horse battery staple', newPassword: 'tr0ub4dor & 3 more words' }] }),
);
export type ChangePasswordInput = z.infer<typeof ChangePassword>;

export const DeleteAccount = requestSchema(
  'DeleteAccount',
  z
    .object({ password: z.string().min(1, 'is required').max(256, 'must be at most 256 characters') })
    .strict()
    .meta({ examples: [{ password: 'correct horse battery staple' }] }),
);
export type DeleteAccountInput = z.infer<typeof DeleteAccount>;

export const User = responseSchema(
  'User',
  z.object({
    id: z.string(),
    username: z.string(),
    role: z.enum(['user', 'admin']).describe('`admin` sees the report queue and moderates'),
    createdAt: isoTime,
  }),
  'The signed-in account.',
);

export const AuthResult = responseSchema(
  'AuthResult',
  z.object({ user: User, token: z.string().describe('Bearer token') }).meta({
    examples: [
      { user: { id: 'Uk2Jd8sPq0ZxW1cE', username: 'ana', role: 'user', createdAt: '2026-11-30T07:00:00.000Z' }, token: 'v1.kR3…' },
    ],
  }),
);
export const Me = responseSchema('Me', z.object({ user: User }));

export const UserSummary = responseSchema(
  'UserSummary',
  z.object({ id: z.string(), username: z.string(), displayName: z.string(), avatarUrl: z.string().nullable() }),
);
export type UserSummary = z.infer<typeof UserSummary>;

export const Profile = responseSchema(
  'Profile',
  UserSummary.extend({
    bio: z.string(),
    followerCount: count(),
    followingCount: count(),
    likeCount: count().describe("Likes received on the user's videos this viewer sees listed (the same videos as `videoCount`)"),
    videoCount: count().describe('Videos the profile lists for this viewer'),
    likedVideosPublic: z.boolean().describe('Whether others may see the videos this user liked (GET /api/v1/users/{username}/liked)'),
    createdAt: isoTime,
    viewer: z
      .object({ follows: z.boolean(), blocking: z.boolean() })
      .optional()
      .describe('Present for a signed-in viewer: whether they follow, and whether they blocked, this user'),
  }),
);
export type Profile = z.infer<typeof Profile>;

export const MAX_DISPLAY_NAME_LENGTH = 50;
export const MAX_BIO_LENGTH = 160;

export const UpdateProfile = requestSchema(
  'UpdateProfile',
  z
    .object({
      displayName: z
        .string()
        .max(MAX_DISPLAY_NAME_LENGTH, `must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`)
        .transform((s) => cleanText(s, { multiline: false }))
        .optional(),
      bio: z
        .string()
        .max(MAX_BIO_LENGTH, `must be at most ${MAX_BIO_LENGTH} characters`)
        .transform((s) => cleanText(s, { multiline: true }))
        .optional(),
    })
    .strict()
    .refine((p) => p.displayName !== undefined || p.bio !== undefined, { error: 'send displayName and/or bio' }),
);
export type UpdateProfileInput = z.infer<typeof UpdateProfile>;
