import { describe, expect, it } from 'vitest';
import { parseArchiveArgs } from './archive-command.js';
import { effectiveRestoreTier, pollIntervalMs, processingEstimateMs, retrievalEstimateMs } from './archive-estimates.js';

describe('archive estimates', () => {
  it('follows the documented retrieval times per class and tier; GLACIER_IR needs none', () => {
    const glacier = { kind: 's3', storageClass: 'GLACIER' } as const;
    const deep = { kind: 's3', storageClass: 'DEEP_ARCHIVE' } as const;
    expect(retrievalEstimateMs({ kind: 's3', storageClass: 'GLACIER_IR' }, 'Bulk')).toBe(0);
    expect(retrievalEstimateMs(glacier, 'Expedited')).toBeLessThan(retrievalEstimateMs(glacier, 'Standard'));
    expect(retrievalEstimateMs(glacier, 'Standard')).toBeLessThan(retrievalEstimateMs(glacier, 'Bulk'));
    expect(retrievalEstimateMs(deep, 'Standard')).toBeLessThan(retrievalEstimateMs(deep, 'Bulk'));
    expect(retrievalEstimateMs({ kind: 'fs', restoreDelaySec: 30 }, 'Standard')).toBe(30_000);
    expect(effectiveRestoreTier(deep, 'Expedited')).toBe('Standard');
    expect(effectiveRestoreTier(glacier, 'Expedited')).toBe('Expedited');
    expect(processingEstimateMs(15_000)).toBeGreaterThan(processingEstimateMs(5_000));
  });

  it('polls a short embedded delay sooner than the configured interval, never faster than 4 times a second', () => {
    expect(pollIntervalMs({ kind: 'fs', restoreDelaySec: 2 }, 60)).toBe(500);
    expect(pollIntervalMs({ kind: 'fs', restoreDelaySec: 0 }, 60)).toBe(250);
    expect(pollIntervalMs({ kind: 'fs', restoreDelaySec: 3600 }, 60)).toBe(60_000);
    expect(pollIntervalMs({ kind: 's3', storageClass: 'GLACIER' }, 60)).toBe(60_000);
  });

  it('parses curta archive and refuses what it does not know', () => {
    expect(parseArchiveArgs(['sweep'])).toEqual({ command: 'sweep', dryRun: false });
    expect(parseArchiveArgs(['sweep', '--dry-run'])).toEqual({ command: 'sweep', dryRun: true });
    expect(parseArchiveArgs(['video', 'abc_123'])).toEqual({ command: 'video', id: 'abc_123' });
    expect(parseArchiveArgs(['restore', 'abc'])).toEqual({ command: 'restore', id: 'abc' });
    expect(parseArchiveArgs(['restore', '../etc'])).toHaveProperty('error');
    expect(parseArchiveArgs(['video'])).toHaveProperty('error');
    expect(parseArchiveArgs(['sweep', '--force'])).toHaveProperty('error');
    expect(parseArchiveArgs([])).toHaveProperty('error');
    expect(parseArchiveArgs(['nope'])).toHaveProperty('error');
  });
});
