/**
 * The studio's checks before a byte is sent, without a browser: which files
 * it lets through (and with which declared type), and the plain words it
 * shows for each processing failure.
 */
import { describe, expect, it } from 'vitest';
import { checkFileQuick, contentTypeOf } from '../../web/src/studio/checks.js';
import { failureReason } from '../../web/src/studio/reasons.js';

const file = (name: string, type: string, size = 1000) => ({ name, type, size }) as File;

describe('studio: what a chosen file is declared as', () => {
  it('declares Ogg video, and files the browser has no type for, instead of refusing them', () => {
    expect(contentTypeOf(file('clip.ogv', 'video/ogg'))).toBe('video/ogg');
    expect(contentTypeOf(file('clip.ogg', 'application/ogg'))).toBe('video/ogg');
    // Desktop browsers often give .mkv/.mts/.m2ts no type, or the generic one: by extension where it names a video format…
    expect(contentTypeOf(file('holiday.mkv', ''))).toBe('video/x-matroska');
    expect(contentTypeOf(file('00001.MTS', 'application/octet-stream'))).toBe('video/mp2t');
    expect(contentTypeOf(file('00001.m2ts', 'video/vnd.dlna.mpeg-tts'))).toBe('video/mp2t');
    // …else untyped: the server identifies the file by its bytes.
    expect(contentTypeOf(file('GOPR0042', ''))).toBe('application/octet-stream');
    expect(contentTypeOf(file('clip.video', 'application/octet-stream'))).toBe('application/octet-stream');
    expect(checkFileQuick(file('GOPR0042', ''))).toBeNull();
    expect(checkFileQuick(file('clip.ogv', 'video/ogg'))).toBeNull();
  });

  it('still refuses files that say they are something else', () => {
    expect(contentTypeOf(file('notes.txt', 'text/plain'))).toBeNull();
    expect(contentTypeOf(file('movie.wmv', 'video/x-ms-wmv'))).toBeNull();
    expect(checkFileQuick(file('notes.txt', 'text/plain'))).toMatch(/isn't a video/);
  });
});

describe('studio: failure reasons in plain words', () => {
  it('explains the decode-cost refusals', () => {
    expect(failureReason({ code: 'pixel_rate_too_high', message: 'The video is 7680x4320 at 60 fps …' })).toEqual({
      title: 'The resolution and frame rate together are too high.',
      advice: 'Export it at a lower resolution or frame rate and try again.',
      detail: 'The video is 7680x4320 at 60 fps …',
    });
    expect(failureReason({ code: 'pixel_budget_exceeded', message: 'x' }).title).toBe('The video is too long for its resolution.');
  });
});
