import { describe, expect, it } from 'vitest';
import {
  archiveSaving,
  billableBytes,
  ClassTally,
  DEFAULT_PRICES,
  earlyDeletionCost,
  formatMoney,
  GB,
  KB,
  parsePrices,
  restoreCost,
  transitionCost,
} from './cost.js';

const MB = 1024 * KB;
const P = DEFAULT_PRICES;

// Every expected figure below is worked out by hand in its comment from the us-east-1 list prices.
describe('storage cost model', () => {
  it('prices a GiB-month of STANDARD at $0.023', () => {
    const t = new ClassTally(P, 'STANDARD');
    t.add(GB);
    expect(t.monthlyCost()).toBeCloseTo(0.023, 12);
    expect(t.objects).toBe(1);
    expect(t.billedAtStandard).toBe(0);
  });

  it('bills a small GLACIER_IR object as 128 KB', () => {
    // 10 KB → 128 KB = 2^17 B = 2^-13 GiB; × $0.004 = $4.8828125e-7 a month; 1,000 of them $4.8828125e-4.
    expect(billableBytes(P, 'GLACIER_IR', 10 * KB)).toEqual({ atClass: 128 * KB, atStandard: 0 });
    const t = new ClassTally(P, 'GLACIER_IR');
    for (let i = 0; i < 1000; i++) t.add(10 * KB);
    expect(t.bytes).toBe(10_000 * KB);
    expect(t.billedAtClass).toBe(128_000 * KB);
    expect(t.monthlyCost()).toBeCloseTo(4.8828125e-4, 15);
    // At or above 128 KB the size is the size.
    expect(billableBytes(P, 'GLACIER_IR', 5 * MB).atClass).toBe(5 * MB);
  });

  it('adds 32 KB at the archive rate and 8 KB at the STANDARD rate to each GLACIER object', () => {
    // 1 GiB: (1 + 2^-15) GiB × $0.0036 + 2^-17 GiB × $0.023 = 0.0036 + 1.0986328125e-7 + 1.7547607421875e-7.
    const t = new ClassTally(P, 'GLACIER');
    t.add(GB);
    expect(t.billedAtClass).toBe(GB + 32 * KB);
    expect(t.billedAtStandard).toBe(8 * KB);
    expect(t.monthlyCost()).toBeCloseTo(0.0036 + 1.0986328125e-7 + 1.7547607421875e-7, 15);
  });

  it('prices 100,000 one-MiB DEEP_ARCHIVE objects with their overhead', () => {
    // 97.65625 GiB + 100,000 × 32 KiB (3.0517578125 GiB) = 100.7080078125 GiB × $0.00099 = 0.099700927734375
    // + 100,000 × 8 KiB (0.762939453125 GiB) × $0.023 = 0.017547607421875 → 0.11724853515625.
    const t = new ClassTally(P, 'DEEP_ARCHIVE');
    t.addMany(100_000, 100_000 * MB);
    expect(t.monthlyCost()).toBeCloseTo(0.11724853515625, 12);
    const one = new ClassTally(P, 'DEEP_ARCHIVE');
    for (let i = 0; i < 100; i++) one.add(MB);
    const many = new ClassTally(P, 'DEEP_ARCHIVE');
    many.addMany(100, 100 * MB);
    expect(many.billedAtClass).toBe(one.billedAtClass);
    expect(many.billedAtStandard).toBe(one.billedAtStandard);
  });

  it('applies the GLACIER_IR minimum to aggregates too', () => {
    // 10 objects of 100 KiB in all: each is billed 128 KiB → 1,280 KiB.
    const t = new ClassTally(P, 'GLACIER_IR');
    t.addMany(10, 100 * KB);
    expect(t.billedAtClass).toBe(1280 * KB);
    t.addMany(0, 0);
    expect(t.objects).toBe(10);
  });

  it('charges transitions per 1,000 objects by destination class', () => {
    expect(transitionCost(P, 'GLACIER_IR', 10_000)).toBeCloseTo(0.2, 12);
    expect(transitionCost(P, 'GLACIER', 10_000)).toBeCloseTo(0.3, 12);
    expect(transitionCost(P, 'DEEP_ARCHIVE', 10_000)).toBeCloseTo(0.5, 12);
    expect(transitionCost(P, 'GLACIER', 1)).toBeCloseTo(0.00003, 12);
  });

  it('prices restores by class and tier', () => {
    // GLACIER Expedited: 3 GiB × $0.03 + 2/1000 × $10 = 0.09 + 0.02.
    expect(restoreCost(P, 'GLACIER', 'Expedited', { requests: 2, bytes: 3 * GB })).toBeCloseTo(0.11, 12);
    // Standard: 3 × $0.01 + 0.002 × $0.05 = 0.0301.
    expect(restoreCost(P, 'GLACIER', 'Standard', { requests: 2, bytes: 3 * GB })).toBeCloseTo(0.0301, 12);
    expect(restoreCost(P, 'GLACIER', 'Bulk', { requests: 2, bytes: 3 * GB })).toBe(0);
    // DEEP_ARCHIVE Bulk: 10 GiB × $0.0025 + 1 × $0.025 = 0.05; no Expedited tier.
    expect(restoreCost(P, 'DEEP_ARCHIVE', 'Bulk', { requests: 1000, bytes: 10 * GB })).toBeCloseTo(0.05, 12);
    expect(restoreCost(P, 'DEEP_ARCHIVE', 'Expedited', { requests: 1, bytes: GB })).toBeNull();
    // GLACIER_IR is read with a GET whatever the tier: 2 GiB × $0.03 + 1/1000 × $0.01.
    expect(restoreCost(P, 'GLACIER_IR', 'Bulk', { requests: 1, bytes: 2 * GB })).toBeCloseTo(0.06001, 12);
  });

  it('bills the rest of the minimum storage duration on early deletion', () => {
    // GLACIER, 1 GiB kept 30 of 90 days: 60 more days = 2 months × 0.00360028533935546875.
    expect(earlyDeletionCost(P, 'GLACIER', GB, 30)).toBeCloseTo(2 * (0.0036 + 1.0986328125e-7 + 1.7547607421875e-7), 15);
    expect(earlyDeletionCost(P, 'GLACIER', GB, 100)).toBe(0);
    expect(earlyDeletionCost(P, 'STANDARD', GB, 0)).toBe(0);
    // DEEP_ARCHIVE, kept 0 of 180 days: 6 months of (1 + 2^-15) GiB × $0.00099 + 2^-17 GiB × $0.023.
    const month = (1 + 2 ** -15) * 0.00099 + 2 ** -17 * 0.023;
    expect(earlyDeletionCost(P, 'DEEP_ARCHIVE', GB, 0)).toBeCloseTo(6 * month, 15);
  });

  it('says what archiving saves a month', () => {
    // 1,000 videos: 20 MiB originals archived, 30 MiB renditions deleted.
    // Kept: 48.828125 GiB × $0.023 = 1.123046875.
    // GLACIER: (19.53125 + 0.030517578125) GiB × $0.0036 = 0.07042236328125, + 0.00762939453125 GiB × $0.023
    // = 0.00017547607421875 → 0.07059783935546875; saving 1.05244903564453125.
    const s = archiveSaving(P, 'GLACIER', { videos: 1000, archiveBytes: 1000 * 20 * MB, freedBytes: 1000 * 30 * MB });
    expect(s.keptInStandard).toBeCloseTo(1.123046875, 12);
    expect(s.archived).toBeCloseTo(0.07059783935546875, 12);
    expect(s.saving).toBeCloseTo(1.123046875 - (0.07042236328125 + 0.00017547607421875), 12);
    expect(archiveSaving(P, 'DEEP_ARCHIVE', { videos: 0, archiveBytes: 0, freedBytes: 0 })).toEqual({
      keptInStandard: 0,
      archived: 0,
      saving: 0,
    });
  });

  it('formats money with enough digits to show sub-cent figures', () => {
    expect(formatMoney(1.123046875, 'USD')).toBe('1.12 USD');
    expect(formatMoney(0.000488, 'USD')).toBe('0.00049 USD');
    expect(formatMoney(0.0000283, 'USD')).toBe('0.000028 USD');
    expect(formatMoney(0, 'USD')).toBe('0.00 USD');
    expect(formatMoney(12345.678, 'EUR')).toBe('12,345.68 EUR');
  });
});

describe('STORAGE_PRICES', () => {
  it('keeps the defaults when unset', () => {
    expect(parsePrices(undefined)).toBe(DEFAULT_PRICES);
    expect(parsePrices('  ')).toBe(DEFAULT_PRICES);
  });

  it('lays an override over the defaults, field by field', () => {
    const p = parsePrices(
      '{"currency":"EUR","classes":{"STANDARD":{"gbMonth":0.021},"GLACIER":{"retrieval":{"Bulk":{"perGb":0.001,"per1000":0}}}}}',
    );
    expect(p.currency).toBe('EUR');
    expect(p.classes.STANDARD.gbMonth).toBe(0.021);
    expect(p.classes.STANDARD.putPer1000).toBe(0.005);
    expect(p.classes.GLACIER.retrieval.Bulk).toEqual({ perGb: 0.001, per1000: 0 });
    expect(p.classes.GLACIER.retrieval.Expedited).toEqual({ perGb: 0.03, per1000: 10 });
    expect(p.classes.DEEP_ARCHIVE).toEqual(DEFAULT_PRICES.classes.DEEP_ARCHIVE);
    expect(p.source).toMatch(/^STORAGE_PRICES over AWS/);
    // The defaults themselves are untouched.
    expect(DEFAULT_PRICES.classes.STANDARD.gbMonth).toBe(0.023);
  });

  it('refuses what is not a valid override, naming the field', () => {
    expect(() => parsePrices('{nope')).toThrow(/JSON object/);
    expect(() => parsePrices('{"classes":{"STANDARD":{"gbMonth":-1}}}')).toThrow(/classes\.STANDARD\.gbMonth/);
    expect(() => parsePrices('{"classes":{"GLACIER_FLEX":{"gbMonth":1}}}')).toThrow(/GLACIER_FLEX|classes/);
    expect(() => parsePrices('{"classes":{"GLACIER":{"gbMonht":1}}}')).toThrow(/gbMonht|classes\.GLACIER/);
    expect(() => parsePrices('{"currency":"dollars"}')).toThrow(/currency/);
    expect(() => parsePrices('[1]')).toThrow(/top level|expected object/i);
  });
});
