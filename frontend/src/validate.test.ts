import { describe, expect, it } from 'vitest';
import vectors from './testdata/reason-vectors.json';
import { checkDuration, checkReason, trimGo, checkStart, localInputValue } from './validate';

interface ReasonVector {
  in?: string;
  utf16?: number[];
  prefix?: string;
  repeat?: string;
  times?: number;
  suffix?: string;
  error: string;
  value?: string;
}

describe('checkReason: the vectors shared with the Go twin (desktop/errors.go)', () => {
  const cases = (vectors.reasons as ReasonVector[]).map((v) => {
    const input =
      v.in ?? (v.utf16 ? String.fromCharCode(...v.utf16) : (v.prefix ?? '') + (v.repeat ?? '').repeat(v.times ?? 0) + (v.suffix ?? ''));
    return [JSON.stringify(input).slice(0, 40), input, v] as const;
  });
  it.each(cases)('%s', (_, input, v) => {
    const got = checkReason(input);
    expect(got.error).toBe(v.error);
    if (v.error === '' && v.value !== undefined) expect(got.value).toBe(v.value);
  });
});

describe('checkReason: the server rules', () => {
  it('requires a reason', () => {
    expect(checkReason('').error).toBe('Say why you need access.');
    expect(checkReason('   \t ').error).toBe('Say why you need access.');
  });

  it('accepts 1000 characters and refuses 1001, counted as characters after trimming', () => {
    expect(checkReason('a'.repeat(1000)).error).toBe('');
    expect(checkReason('😀'.repeat(1000)).error).toBe(''); // 2000 UTF-16 units, 1000 characters
    expect(checkReason('  ' + 'é'.repeat(1000) + ' ').error).toBe('');
    const long = checkReason('a'.repeat(1001));
    expect(long.error).toBe('The reason is too long: 1001 characters (at most 1000).');
    expect(long.length).toBe(1001);
    expect(checkReason('😀'.repeat(1001)).error).toMatch(/too long/);
  });

  it.each([
    ['line feed', 'a\nb'],
    ['tab', 'a\tb'],
    ['bell', 'a\u0007b'],
    ['DEL', 'a\u007fb'],
    ['C1 NEL', 'a\u0085b'],
    ['C1 CSI', 'a\u009bb'],
    ['line separator', 'a\u2028b'],
    ['paragraph separator', 'a\u2029b'],
  ])('refuses a %s', (_, s) => {
    expect(checkReason(s).error).toMatch(/control characters/);
  });

  it('refuses invalid text', () => {
    expect(checkReason('a\uFFFDb').error).toMatch(/not valid text/);
    expect(checkReason('a\uD800b').error).toMatch(/not valid text/);
  });

  it('keeps markup as plain text', () => {
    const c = checkReason(' <img src=x onerror=alert(1)> ');
    expect(c.error).toBe('');
    expect(c.value).toBe('<img src=x onerror=alert(1)>');
  });

  it('trims like Go', () => {
    expect(trimGo('\u00a0\u3000 x y \u2003')).toBe('x y');
    expect(trimGo('\ufeffx')).toBe('\ufeffx'); // not a space in Go
  });
});

describe('checkDuration', () => {
  it('reads a custom duration as people type it, as gatepassd request --duration does', () => {
    expect(checkDuration('2h', 0)).toEqual({ seconds: 7200, error: '' });
    expect(checkDuration(' 1d 12h ', 0)).toEqual({ seconds: 36 * 3600, error: '' });
    expect(checkDuration('90m', 0)).toEqual({ seconds: 5400, error: '' });
    expect(checkDuration('', 0).error).toBe('"" is not a duration: it is empty: try 90m, 8h or 1d 12h.');
    expect(checkDuration('2 hours', 0).error).toMatch(/unknown unit "hours"/);
    expect(checkDuration('0h', 0).error).toMatch(/a second or more/);
    expect(checkDuration('-2h', 0).error).toMatch(/a second or more/);
    expect(checkDuration('2d', 86400).error).toBe('Longer than this network allows (1d).');
    expect(checkDuration('1d', 86400).error).toBe('');
  });
});

describe('checkStart', () => {
  const now = new Date(2026, 10, 23, 9, 0).getTime(); // 23 Nov 2026 09:00 in the test's zone
  it('reads a date and a time in the user\'s zone and gives RFC 3339 UTC', () => {
    const c = checkStart('2026-11-23T11:10', now);
    expect(c.error).toBe('');
    expect(c.ms).toBe(new Date(2026, 10, 23, 11, 10).getTime());
    expect(c.iso).toBe(new Date(2026, 10, 23, 11, 10).toISOString().replace('.000Z', 'Z'));
  });
  it('refuses what is not a start', () => {
    expect(checkStart('', now).error).toBe('Enter the date and the time access should start.');
    expect(checkStart('tomorrow', now).error).toBe('Enter the date and the time access should start.');
    expect(checkStart('2026-02-30T10:00', now).error).toBe('That date does not exist.');
    expect(checkStart('2026-11-23T09:00', now).error).toBe('Choose a start in the future (or leave "Start later" off).');
    expect(checkStart('2027-03-01T09:00', now).error).toBe('The start can be at most 90 days ahead.');
  });
  it('round-trips a datetime-local value', () => {
    expect(localInputValue(new Date(2026, 0, 5, 7, 3).getTime())).toBe('2026-01-05T07:03');
  });
});
