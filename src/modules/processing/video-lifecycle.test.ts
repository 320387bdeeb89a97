import { describe, expect, it } from 'vitest';
import {
  canTransition,
  FAILABLE,
  FAILURE_MESSAGES,
  IllegalTransitionError,
  storedStatuses,
  transitionGuard,
  videoFailure,
  VIDEO_TRANSITIONS,
  type VideoState,
} from './video-lifecycle.js';

const STATES = Object.keys(VIDEO_TRANSITIONS) as VideoState[];

describe('video lifecycle', () => {
  it('allows the forward path and failing or deleting from every non-terminal state', () => {
    const allowed: Array<[VideoState, VideoState]> = [
      ['uploading', 'uploaded'],
      ['uploaded', 'processing'],
      ['processing', 'playable'],
      ['playable', 'ready'],
      ['processing', 'ready'],
      // a retried job's fresh attempt
      ['processing', 'processing'],
      ['playable', 'processing'],
      ['uploading', 'failed'],
      ['uploaded', 'failed'],
      ['processing', 'failed'],
      ['playable', 'failed'],
      ['ready', 'deleted'],
      ['failed', 'deleted'],
      ['uploading', 'deleted'],
    ];
    for (const [from, to] of allowed) expect(canTransition(from, to), `${from} → ${to}`).toBe(true);
  });

  it('refuses moves backwards, skipped steps and anything out of a terminal state', () => {
    const refused: Array<[VideoState, VideoState]> = [
      ['uploaded', 'uploading'],
      ['processing', 'uploaded'],
      ['ready', 'processing'],
      ['ready', 'failed'],
      ['failed', 'processing'],
      ['failed', 'uploaded'],
      ['uploading', 'processing'],
      ['uploading', 'ready'],
      ['uploaded', 'ready'],
      ['uploaded', 'playable'],
      ['deleted', 'uploading'],
    ];
    for (const [from, to] of refused) expect(canTransition(from, to), `${from} → ${to}`).toBe(false);
    expect(VIDEO_TRANSITIONS.deleted).toEqual([]);
  });

  it('makes failed reachable from exactly the non-terminal states', () => {
    expect([...FAILABLE].sort()).toEqual(['playable', 'processing', 'uploaded', 'uploading']);
    for (const s of STATES) expect(FAILABLE.includes(s)).toBe(!['ready', 'failed', 'deleted'].includes(s));
  });

  it('guards on stored statuses: playable is stored as processing', () => {
    expect(transitionGuard(['processing', 'playable'], 'ready')).toEqual({ from: ['processing'], to: 'ready' });
    expect(transitionGuard(['processing'], 'playable')).toEqual({ from: ['processing'], to: 'processing' });
    expect(transitionGuard(FAILABLE, 'failed')).toEqual({ from: ['uploading', 'uploaded', 'processing'], to: 'failed' });
    expect(storedStatuses(['uploaded', 'processing', 'playable', 'deleted'])).toEqual(['uploaded', 'processing']);
  });

  it('throws for a move the table does not have, even when only one of the from-states lacks it', () => {
    expect(() => transitionGuard(['ready'], 'processing')).toThrow(IllegalTransitionError);
    expect(() => transitionGuard(['processing', 'ready'], 'failed')).toThrow(/processing\|ready → failed/);
    expect(() => transitionGuard([], 'failed')).toThrow(IllegalTransitionError);
  });

  it('gives every failure code a message, overridable by a more specific one', () => {
    for (const [code, message] of Object.entries(FAILURE_MESSAGES)) expect(message, code).toMatch(/\.$/);
    expect(videoFailure('upload_expired')).toEqual({
      code: 'upload_expired',
      message: 'The upload URL expired before the file arrived; start a new upload.',
    });
    expect(videoFailure('size_mismatch', 'Storage holds 3 bytes but 4 were declared.').message).toBe(
      'Storage holds 3 bytes but 4 were declared.',
    );
  });
});
