/**
 * Avatars: whatever image comes in (JPEG, PNG or WebP, up to
 * AVATAR_MAX_BYTES), an AVATAR_SIZE×AVATAR_SIZE baseline JPEG goes out, made by
 * the ImageProcessor port (src/ports/image-processor.ts).
 */

export const AVATAR_SIZE = 256;
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const AVATAR_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
