import { describe, expect, it } from 'vitest';
import { checkDuration, checkReason, trimGo } from './validate';

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
    expect(long.error).toBe('Too long: 1001 characters (at most 1000).');
    expect(long.length).toBe(1001);
    expect(checkReason('😀'.repeat(1001)).error).toMatch(/Too long/);
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
  it('checks a custom duration', () => {
    expect(checkDuration('2', 3600, 0)).toEqual({ seconds: 7200, error: '' });
    expect(checkDuration('', 3600, 0).error).toMatch(/whole number/);
    expect(checkDuration('1.5', 3600, 0).error).toMatch(/whole number/);
    expect(checkDuration('0', 3600, 0).error).toMatch(/positive/);
    expect(checkDuration('2', 86400, 86400).error).toMatch(/Longer/);
  });
});
