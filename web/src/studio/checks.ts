/**
 * Client-side checks of a chosen file, before a byte is sent: is it a video
 * type the server accepts, does it fit the size limit, and — where the browser
 * can read it — is it within the duration limit. The server checks all of this
 * again; these checks only spare people a long upload that would be refused.
 */
import { endpoints } from '../api.js';
import { formatBytes } from '../dom.js';
import { pictureTrackOf } from './tracks.js';

/**
 * The server's limits: its defaults (UPLOAD_MAX_BYTES, VIDEO_MAX_DURATION_SEC)
 * until `loadServerLimits` has read the configured ones from
 * GET /api/v1/uploads/limits.
 */
export const LIMITS = {
  maxBytes: 2 * 1024 ** 3,
  maxDurationSec: 600,
};

let limitsLoaded: Promise<void> | null = null;

/** Reads the server's configured limits once per page (a failure keeps the defaults; the server checks again anyway). */
export function loadServerLimits(): Promise<void> {
  limitsLoaded ??= endpoints
    .uploadLimits()
    .then((limits) => {
      if (limits.maxBytes > 0) LIMITS.maxBytes = limits.maxBytes;
      if (limits.maxDurationSec > 0) LIMITS.maxDurationSec = limits.maxDurationSec;
    })
    .catch(() => undefined);
  return limitsLoaded;
}

/** Content types the server accepts (src/modules/uploads/uploads.service.ts), by extension for files the browser gives no type. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  qt: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  '3gp': 'video/3gpp',
  '3g2': 'video/3gpp2',
  ts: 'video/mp2t',
  mts: 'video/mp2t',
  m2ts: 'video/mp2t',
  avi: 'video/x-msvideo',
  flv: 'video/x-flv',
  ogv: 'video/ogg',
  ogg: 'video/ogg',
};
const ACCEPTED_TYPES = new Set(Object.values(TYPES_BY_EXTENSION));
/** What browsers call some of the same formats. */
const TYPE_ALIASES: Record<string, string> = {
  'video/avi': 'video/x-msvideo',
  'video/msvideo': 'video/x-msvideo',
  'video/matroska': 'video/x-matroska',
  'video/mpeg2-ts': 'video/mp2t',
  'video/vnd.dlna.mpeg-tts': 'video/mp2t',
  'application/ogg': 'video/ogg',
};
/** What a browser declares for a file it has no type for; the server then identifies it by its bytes. */
const UNTYPED = 'application/octet-stream';

/** What the file picker offers. */
export const ACCEPT_ATTRIBUTE = ['video/*', ...Object.keys(TYPES_BY_EXTENSION).map((e) => `.${e}`)].join(',');

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * The content type to declare for `file`, or null when it is not a video the server takes.
 * A file the browser has no type for (often .mkv, .mts, .m2ts) is declared by its extension
 * when that names a video format, else as untyped: the server decides by the file's bytes.
 */
export function contentTypeOf(file: Pick<File, 'name' | 'type'>): string | null {
  const type = TYPE_ALIASES[file.type] ?? file.type;
  if (ACCEPTED_TYPES.has(type)) return type;
  const byExtension = TYPES_BY_EXTENSION[extensionOf(file.name)];
  if (byExtension) return byExtension;
  return type === '' || type === UNTYPED ? UNTYPED : null;
}

export function formatDuration(sec: number): string {
  const s = Math.round(sec);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
}

/** A plain-words reason this file cannot be uploaded, checked without reading it; null when it may be. */
export function checkFileQuick(file: File): string | null {
  if (!contentTypeOf(file)) {
    if (file.type.startsWith('video/')) {
      return `“${file.name}” is a video format Curta can't take (${file.type}). Export it as MP4, MOV or WebM and try again.`;
    }
    return `“${file.name}” isn't a video. Choose an MP4, MOV, WebM or MKV file.`;
  }
  if (file.size <= 0) return `“${file.name}” is empty (0 bytes).`;
  if (file.size > LIMITS.maxBytes) {
    return `“${file.name}” is too large (${formatBytes(file.size)}). Videos can be up to ${formatBytes(LIMITS.maxBytes)} — export a shorter or smaller version.`;
  }
  return null;
}

export interface MediaInfo {
  durationSec: number | null;
  width: number;
  height: number;
}

/**
 * Reads duration and size from the browser's own demuxer. Null when the
 * browser can't read the file (an HEVC MOV in Chromium, say): the server may
 * still be able to, so that is a warning, not a refusal.
 */
export function readMediaInfo(url: string, timeoutMs = 10_000): Promise<MediaInfo | null> {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    v.preload = 'metadata';
    v.muted = true;
    const done = (info: MediaInfo | null) => {
      clearTimeout(timer);
      v.removeAttribute('src');
      v.load();
      resolve(info);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    v.addEventListener('loadedmetadata', () => {
      const d = v.duration;
      // MediaRecorder WebM files often say Infinity until played through: unknown, not too long.
      done({ durationSec: Number.isFinite(d) && d > 0 ? d : null, width: v.videoWidth, height: v.videoHeight });
    });
    v.addEventListener('error', () => done(null));
    v.src = url;
  });
}

export type CheckResult = { ok: false; error: string } | { ok: true; info: MediaInfo | null; warning: string | null };

/** Every client-side check: quick ones first, then the duration where the browser can read it. */
export async function checkFile(file: File, url: string): Promise<CheckResult> {
  await loadServerLimits();
  const quick = checkFileQuick(file);
  if (quick) return { ok: false, error: quick };
  const info = await readMediaInfo(url);
  if (!info) {
    return {
      ok: true,
      info: null,
      warning: `This browser can't preview “${file.name}”, so its length couldn't be checked. You can still post it: Curta converts it and tells you if something is wrong.`,
    };
  }
  if (info.durationSec !== null && info.durationSec > LIMITS.maxDurationSec + 0.5) {
    return {
      ok: false,
      error: `“${file.name}” is ${formatDuration(info.durationSec)} long. Videos can be up to ${formatDuration(LIMITS.maxDurationSec)} — trim it and try again.`,
    };
  }
  if (info.width === 0 || info.height === 0) {
    // The browser shows no picture: either there is none, or it can't decode it (an iPhone's HEVC
    // or Dolby Vision in a browser without HEVC). The container says which.
    const track = await pictureTrackOf(file);
    if (track.kind === 'video') {
      const codec = track.codec ? ` (${track.codec} video)` : '';
      return {
        ok: true,
        info,
        warning: `This browser can't preview the picture of “${file.name}”${codec}. You can still post it: Curta converts it so it plays everywhere.`,
      };
    }
    if (track.kind === 'none') {
      return { ok: true, info, warning: 'This file seems to have no picture, only sound. Curta needs a video track.' };
    }
    return {
      ok: true,
      info,
      warning: `This browser shows no picture for “${file.name}”: it may be in a format this browser can't play, which Curta converts, or have only sound. You can still post it: Curta tells you if something is wrong.`,
    };
  }
  return { ok: true, info, warning: null };
}
