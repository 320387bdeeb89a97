import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecsArgs, recsEvalCommand } from './recs-command.js';

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

describe('recsEvalCommand', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  it('prints every model of the same run, then ours against the better baseline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'curta-recs-eval-'));
    try {
      await writeFile(join(dir, 'train.txt'), '0 0 1.00\n0 1 1.00\n1 1 1.00\n1 2 0.00\n2 0 1.00\n');
      await writeFile(join(dir, 'valid.txt'), '0 2 1.00\n');
      await writeFile(join(dir, 'test.txt'), '1 0 1.00\n2 1 1.00\n');
      const c = capture();
      expect(await recsEvalCommand({ dataset: dir, split: 'test' }, c.io)).toBe(0);
      const text = c.out.join('\n');
      expect(text).toMatch(/3 users × 3 items/);
      for (const model of ['popularity', 'EASE', 'For You served, self-tuned', 'For You served, production defaults']) {
        expect(text).toMatch(new RegExp(`^${model}.*\\d\\.\\d{4}`, 'm'));
      }
      expect(text).toMatch(/coverage\s+Gini\s+novelty/);
      expect(text).toMatch(/self-tuned vs best baseline .*NDCG@20/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing or malformed dataset is a clear error, not a crash', async () => {
    const missing = capture();
    expect(await recsEvalCommand({ dataset: '/nonexistent/curta', split: 'test' }, missing.io)).toBe(66);
    expect(missing.err.join('')).toBe(
      'recs eval: /nonexistent/curta lacks train.txt, valid.txt, test.txt (expected train.txt, valid.txt and test.txt with "user item label" lines)',
    );
    const dir = await mkdtemp(join(tmpdir(), 'curta-recs-eval-'));
    try {
      for (const f of ['train.txt', 'valid.txt', 'test.txt']) await writeFile(join(dir, f), 'not a split line\n');
      const bad = capture();
      expect(await recsEvalCommand({ dataset: dir, split: 'valid' }, bad.io)).toBe(66);
      expect(bad.err.join('')).toMatch(/recs eval: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
