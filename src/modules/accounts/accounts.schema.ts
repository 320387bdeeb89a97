import { z } from 'zod';
import { count, isoTime } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { cleanText } from '../../lib/text.js';

export const Credentials = requestSchema(
  'Credentials',
  z
    .object({
      username: z
        .string()
        .min(3, 'must be at least 3 characters')
        .max(30, 'must be at most 30 characters')
        .regex(/^[A-Za-z0-9_.]+$/, 'may contain only letters, digits, "_" and "."'),
      password: z.string().min(8, 'must be at least 8 characters').max(256, 'must be at most 256 characters'),
    })
    .strict()
    .meta({ examples: [{ username: 'ana', password: 'correct horse battery staple' }] }),
);
export type CredentialsInput = z.infer<typeof Credentials>;

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
    likeCount: count().describe("Likes received on all of the user's videos"),
    videoCount: count().describe('Videos the profile lists for this viewer'),
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
