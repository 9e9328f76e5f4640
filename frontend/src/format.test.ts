import { describe, expect, it } from 'vitest';
import { expiresText, formatAgo, formatBytes, formatDate, formatDuration, formatLeft, nextChange } from './format';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('formatLeft: the countdown of the product description', () => {
  it.each([
    [30 * D - S, '29d 23h'], // a fresh 30-day grant
    [30 * D, '30d 0h'],
    [D, '1d 0h'],
    [D - 1, '23h 59m'], // days+hours → hours+minutes below one day
    [8 * H - S, '7h 59m'],
    [H, '1h 0m'],
    [H - 1, '59m 59s'], // hours+minutes → minutes+seconds below one hour
    [10 * M - S, '9m 59s'],
    [61 * S, '1m 1s'],
    [S, '0m 1s'],
    [999, '0m 0s'],
    [0, '0s'],
    [-5 * S, '0s'],
  ])('%d ms → %s', (ms, want) => {
    expect(formatLeft(ms)).toBe(want);
  });

  it('reads "Access expires in …"', () => {
    expect(expiresText(30 * D - S)).toBe('Access expires in 29d 23h');
    expect(expiresText(0)).toBe('Access has ended');
  });
});

describe('nextChange: when the countdown text changes', () => {
  it.each([[30 * D - S], [D + 90 * S], [8 * H - S], [2 * H], [10 * M - S], [59 * S + 500], [1500]])('%d ms', (ms) => {
    const wait = nextChange(ms);
    expect(wait).toBeGreaterThan(0);
    expect(formatLeft(ms - wait)).not.toBe(formatLeft(ms)); // changed after the wait
    expect(formatLeft(ms - wait + 1)).toBe(formatLeft(ms)); // and not before
  });

  it('sleeps long while days are shown and 1 s at most while seconds are', () => {
    expect(nextChange(29 * D + 23 * H + 30 * M)).toBe(30 * M + 1);
    expect(nextChange(9 * M + 30 * S + 200)).toBeLessThanOrEqual(S);
    expect(nextChange(0)).toBe(Infinity);
  });
});

describe('other formats', () => {
  it('durations', () => {
    expect(formatDuration(3600)).toBe('1 hour');
    expect(formatDuration(8 * 3600)).toBe('8 hours');
    expect(formatDuration(86400)).toBe('1 day');
    expect(formatDuration(7 * 86400)).toBe('1 week');
    expect(formatDuration(30 * 86400)).toBe('30 days');
    expect(formatDuration(90 * 60)).toBe('90 minutes');
  });
  it('bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(12_300_000)).toBe('12 MB');
  });
  it('ago', () => {
    expect(formatAgo(1000)).toBe('just now');
    expect(formatAgo(40 * S)).toBe('40 s ago');
    expect(formatAgo(5 * M)).toBe('5 min ago');
    expect(formatAgo(3 * H)).toBe('3 h ago');
  });
});

describe('formatDate', () => {
  it('shows a date with the year, and a dash for none', () => {
    expect(formatDate('2026-11-23T09:00:00Z')).toMatch(/2026/);
    expect(formatDate('not a date')).toBe('—');
  });
});
