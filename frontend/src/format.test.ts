import { describe, expect, it } from 'vitest';
import vectors from '../../shared/humantime/testdata/vectors.json';
import { ago, countdown, DurationError, expiresText, startsText, formatBytes, formatDate, nextChange, parseDuration, span } from './format';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

// The table the Go package gatepass.dev/shared/humantime is tested against.
describe('the vectors shared with shared/humantime (Go)', () => {
  it.each(vectors.countdown.map((v) => [v.ms, v.text, v.next_ms] as const))('countdown(%d) = %s, next change in %s ms', (ms, text, next) => {
    expect(countdown(ms)).toBe(text);
    expect(nextChange(ms)).toBe(next ?? Infinity);
  });
  it.each(vectors.span.map((v) => [v.ms, v.text] as const))('span(%d) = %s', (ms, text) => {
    expect(span(ms)).toBe(text);
  });
  it.each(vectors.ago.map((v) => [v.ms, v.text] as const))('ago(%d) = %s', (ms, text) => {
    expect(ago(ms)).toBe(text);
  });
  it.each(vectors.parse.map((v) => [v.in, v] as const))('parseDuration(%j)', (text, v) => {
    if ('error' in v && v.error) {
      expect(() => parseDuration(text)).toThrow(DurationError);
      expect(() => parseDuration(text)).toThrow(v.error);
    } else {
      expect(parseDuration(text)).toBe((v as { ms: number }).ms);
    }
  });
});

describe('countdown', () => {
  it('never shows seconds beside minutes, and redraws at most once a minute until the last minute', () => {
    for (let ms = M; ms < 3 * D; ms += 7 * S + 13) {
      expect(countdown(ms)).not.toMatch(/s$/);
      expect(nextChange(ms)).toBeLessThanOrEqual(ms >= D ? H + 1 : M + 1);
    }
  });

  it('changes exactly after nextChange', () => {
    for (let ms = S; ms < 40 * D; ms += Math.floor(ms / 7) + 977) {
      const wait = nextChange(ms);
      expect(countdown(ms - wait)).not.toBe(countdown(ms));
      expect(countdown(ms - wait + 1)).toBe(countdown(ms));
    }
  });

  it('reads "Access expires in …"', () => {
    expect(expiresText(30 * D - S)).toBe('Access expires in 29d 23h');
    expect(expiresText(12 * M + 30 * S)).toBe('Access expires in 12m');
    expect(expiresText(0)).toBe('Access has ended');
    expect(startsText(2 * 3600_000 + 10 * 60_000 + 30_000)).toBe('Access starts in 2h 10m');
    expect(startsText(0)).toBe('Access is starting…');
  });
});

describe('other formats', () => {
  it('bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(12_300_000)).toBe('12 MB');
  });

  it('shows a date with the year, and a dash for none', () => {
    expect(formatDate('2026-11-23T09:00:00Z')).toMatch(/2026/);
    expect(formatDate('not a date')).toBe('—');
  });
});
