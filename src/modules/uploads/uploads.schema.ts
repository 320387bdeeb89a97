import { z } from 'zod';
import { count, isoTime } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { CaptionSchema, VisibilitySchema } from '../videos/caption.js';
import { PublishAtSchema } from '../videos/publication.js';
import { CoverTimeSchema, Video } from '../videos/videos.schema.js';

export const CreateUpload = requestSchema(
  'CreateUpload',
  z
    .object({
      filename: z.string().trim().min(1).max(255),
      contentType: z
        .string()
        .trim()
        .toLowerCase()
        .max(100)
        .describe(
          'One of the accepted types (GET /api/v1/uploads/limits); empty or `application/octet-stream` when the browser does not know it ' +
            '(the upload URLs then expect `application/octet-stream`). The file itself is identified by its bytes, not by this.',
        ),
      size: z.int().min(1, 'the file is empty (0 bytes)').describe('Exact size in bytes; the signed URLs accept exactly this much'),
      caption: CaptionSchema.optional(),
      visibility: VisibilitySchema.optional(),
      draft: z
        .boolean()
        .optional()
        .describe(
          'Save as a draft: processed like any video, seen by nobody but its owner until published (PATCH the video with `draft: false`)',
        ),
      publishAt: PublishAtSchema.optional().describe(
        'Schedule: publish at this time (future, at most 90 days ahead: else 400 `publish_time_invalid`); until then only the owner sees it. Not with `draft`',
      ),
      coverTimeMs: CoverTimeSchema.optional().describe(
        'The cover (poster) frame, ms from the start, cut once the video is ready (a time past the end takes the last frame)',
      ),
    })
    .strict()
    .refine((p) => p.draft === undefined || p.publishAt === undefined, {
      error: 'send either draft or publishAt, not both',
      path: ['publishAt'],
    })
    .meta({
      examples: [
        { filename: 'sunrise.mp4', contentType: 'video/mp4', size: 18_734_112, caption: 'First light #sunrise', visibility: 'public' },
      ],
    }),
);
export type CreateUploadInput = z.infer<typeof CreateUpload>;

export const CompleteUpload = requestSchema(
  'CompleteUpload',
  z
    .object({
      parts: z
        .array(z.strictObject({ partNumber: z.int().min(1).max(10_000), etag: z.string().min(1).max(200) }))
        .max(10_000)
        .optional()
        .describe("The parts' ETags as storage answered them (multipart); left out, the server lists them itself"),
    })
    .strict(),
);

const UploadPart = z.object({ partNumber: count(), size: count(), url: z.string(), headers: z.record(z.string(), z.string()) });
export const UploadInstructions = responseSchema(
  'UploadInstructions',
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('single'),
      method: z.literal('PUT'),
      url: z.string(),
      headers: z.record(z.string(), z.string()).describe('Send exactly these headers with the PUT'),
      expiresAt: isoTime,
    }),
    z.object({
      kind: z.literal('multipart'),
      method: z.literal('PUT'),
      partSize: count(),
      parts: z.array(UploadPart).describe('Parts still to send, each with its own signed URL'),
      uploadedParts: z.array(z.object({ partNumber: count(), size: count(), etag: z.string() })).describe('Parts storage already holds'),
      expiresAt: isoTime,
    }),
  ]),
);
export type UploadInstructions = z.infer<typeof UploadInstructions>;

export const CreatedUpload = responseSchema('CreatedUpload', z.object({ videoId: z.string(), upload: UploadInstructions }));

export const UploadLimits = responseSchema(
  'UploadLimits',
  z.object({
    maxBytes: count(),
    maxDurationSec: z.number(),
    contentTypes: z
      .array(z.string())
      .describe('Declared types taken; `application/octet-stream` (or an empty type) stands for any file, identified by its bytes'),
    dailyCount: count().describe('per user per UTC day; 0 = unlimited'),
    dailyBytes: count().describe('per user per UTC day; 0 = unlimited'),
  }),
);
export type UploadLimits = z.infer<typeof UploadLimits>;

export const UploadStatus = responseSchema('UploadStatus', z.object({ video: Video, upload: UploadInstructions.nullable() }));
