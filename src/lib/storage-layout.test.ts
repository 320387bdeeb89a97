import { describe, expect, it } from 'vitest';
import {
  avatarKey,
  avatarKeyAt,
  mediaKeyAt,
  originalKey,
  parseAvatarKey,
  parseMediaKey,
  parseOriginalKey,
  parseRenditionPrefix,
  pathBelowMedia,
  recModelKey,
  renditionFolder,
  renditionObjectKey,
  renditionPrefix,
  renditionRungFolder,
  RENDITION_MASTER,
  RENDITION_MP4,
  RENDITION_POSTER,
  videoMediaFolder,
} from './storage-layout.js';

// Existing objects and database rows hold these exact keys.
describe('storage layout', () => {
  it('spells every key as stored data expects', () => {
    expect(originalKey('vid_1')).toBe('originals/vid_1');
    expect(videoMediaFolder('vid_1')).toBe('media/vid_1/');
    expect(renditionPrefix('vid_1', 'r-2')).toBe('media/vid_1/r-2');
    expect(renditionFolder('media/vid_1/r-2')).toBe('media/vid_1/r-2/');
    expect(renditionObjectKey('media/vid_1/r-2', RENDITION_MASTER)).toBe('media/vid_1/r-2/hls/master.m3u8');
    expect([RENDITION_MASTER, RENDITION_MP4, RENDITION_POSTER]).toEqual(['hls/master.m3u8', 'video.mp4', 'poster.jpg']);
    expect(renditionRungFolder('720p')).toBe('hls/720p/');
    expect(avatarKey('user1', 'n0nce')).toBe('avatars/user1/n0nce.jpg');
    expect(recModelKey(new Date('2026-03-04T05:06:07.089Z'), 'abc123')).toBe('recs/models/2026-03-04T05-06-07-089Z-abc123.bin');
  });

  it('parses what it builds', () => {
    expect(parseOriginalKey(originalKey('vid_1'))).toBe('vid_1');
    expect(parseRenditionPrefix(renditionPrefix('vid_1', 'r-2'))).toEqual({ videoId: 'vid_1', revision: 'r-2' });
    expect(parseMediaKey(renditionObjectKey(renditionPrefix('vid_1', 'r-2'), `${renditionRungFolder('720p')}seg_00001.m4s`))).toEqual({
      videoId: 'vid_1',
      revision: 'r-2',
    });
    expect(parseAvatarKey(avatarKey('user1', 'n0nce'))).toEqual({ userId: 'user1', nonce: 'n0nce' });
  });

  it('maps served URL paths to keys and back', () => {
    expect(mediaKeyAt('vid_1/r-2/poster.jpg')).toBe('media/vid_1/r-2/poster.jpg');
    expect(pathBelowMedia(renditionPrefix('vid_1', 'r-2'))).toBe('vid_1/r-2');
    expect(avatarKeyAt('user1/n0nce.jpg')).toBe(avatarKey('user1', 'n0nce'));
  });

  it('refuses keys under another prefix or with path tricks', () => {
    for (const key of ['originals/', 'originals/a/b', 'originals/..', 'media/a', 'originals/a.b', 'xoriginals/a']) {
      expect(parseOriginalKey(key), key).toBeNull();
    }
    for (const prefix of ['media/a', 'media/a/b/c', 'media/../b', 'media/a/..', 'media//b', 'originals/a/b', 'media/a/b/']) {
      expect(parseRenditionPrefix(prefix), prefix).toBeNull();
    }
    for (const key of [
      'media/a/b',
      'media/a/b/../../originals/x',
      'media/a/b/hls/..',
      'media/a/b/x y',
      'media/../b/c',
      'avatars/a/b.jpg',
    ]) {
      expect(parseMediaKey(key), key).toBeNull();
    }
    for (const key of ['avatars/a/b.png', 'avatars/a/../b.jpg', 'avatars/a/b/c.jpg', `avatars/${'x'.repeat(65)}/b.jpg`, 'avatars/a/.jpg']) {
      expect(parseAvatarKey(key), key).toBeNull();
    }
  });
});
