import { describe, expect, it } from 'vitest';
import { parseRecsArgs } from './recs-command.js';

describe('parseRecsArgs', () => {
  it('reads train and eval', () => {
    expect(parseRecsArgs(['train'])).toEqual({ command: 'train', force: false });
    expect(parseRecsArgs(['train', '--force'])).toEqual({ command: 'train', force: true });
    expect(parseRecsArgs(['eval', '--dataset', 'd'])).toEqual({ command: 'eval', dataset: 'd', split: 'test' });
    expect(parseRecsArgs(['eval', '--dataset=d', '--split', 'valid'])).toEqual({ command: 'eval', dataset: 'd', split: 'valid' });
  });
  it('explains what is wrong', () => {
    expect(parseRecsArgs([])).toEqual({ error: 'missing recs command' });
    expect(parseRecsArgs(['tune'])).toEqual({ error: 'unknown recs command "tune"' });
    expect(parseRecsArgs(['eval'])).toEqual({ error: '--dataset <dir> is required' });
    expect(parseRecsArgs(['eval', '--dataset', 'd', '--split', 'train'])).toEqual({ error: '--split must be test or valid' });
    expect(parseRecsArgs(['train', '--fast'])).toMatchObject({ error: expect.stringMatching(/--fast/) });
    expect(parseRecsArgs(['train', 'extra'])).toMatchObject({ error: expect.stringMatching(/extra/) });
  });
});
