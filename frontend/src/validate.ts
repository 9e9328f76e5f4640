import { DurationError, parseDuration, span } from './format';

// The request dialog's checks: the same rules as the server
// (backend/internal/access.CleanText): the reason is trimmed (Go's
// unicode.IsSpace), then required, at most 1000 characters (code points), one
// line without control characters (C0, DEL, C1, U+2028, U+2029), valid text
// (no lone surrogates, no U+FFFD). Its Go twin is desktop/errors.go
// checkReason, with the same messages: both run the vectors of
// testdata/reason-vectors.json.

export const MAX_REASON = 1000;

// Go's unicode.IsSpace.
function isSpace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

// Go's unicode.IsControl, plus the line and paragraph separators.
function isForbidden(cp: number): boolean {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
}

/** s trimmed the way Go's strings.TrimSpace does. */
export function trimGo(s: string): string {
  const cps = Array.from(s);
  let i = 0;
  let j = cps.length;
  while (i < j && isSpace(cps[i]!.codePointAt(0)!)) i++;
  while (j > i && isSpace(cps[j - 1]!.codePointAt(0)!)) j--;
  return cps.slice(i, j).join('');
}

export interface ReasonCheck {
  /** The trimmed reason (what is sent). */
  value: string;
  /** Its length in characters (code points), for the counter. */
  length: number;
  /** Why it cannot be sent, or '' when it can. */
  error: string;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks a reason as the server will. */
export function checkReason(raw: string): ReasonCheck {
  if (loneSurrogate.test(raw) || raw.includes('\uFFFD')) {
    return { value: raw, length: Array.from(raw).length, error: 'The reason contains characters that are not valid text.' };
  }
  const value = trimGo(raw);
  const cps = Array.from(value);
  const length = cps.length;
  if (length === 0) return { value, length, error: 'Say why you need access.' };
  if (length > MAX_REASON) {
    return { value, length, error: `The reason is too long: ${length} characters (at most ${MAX_REASON}).` };
  }
  if (cps.some((c) => isForbidden(c.codePointAt(0)!))) {
    return { value, length, error: 'Use one line, without tabs, line breaks or other control characters.' };
  }
  return { value, length, error: '' };
}

export interface DurationCheck {
  seconds: number;
  error: string;
}

/**
 * Checks a custom wished duration as people type it ("90m", "8h", "1d 12h":
 * parseDuration, the twin of `gatepassd request --duration`): a second or
 * more, at most max seconds (0: a year).
 */
export function checkDuration(text: string, maxSeconds: number): DurationCheck {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    return { seconds: 0, error: e instanceof DurationError ? `${e.message}: try 90m, 8h or 1d 12h.` : String(e) };
  }
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return { seconds: 0, error: 'The duration must be a second or more.' };
  const limit = maxSeconds > 0 ? maxSeconds : 365 * 86400;
  if (seconds > limit) return { seconds, error: `Longer than this network allows (${span(limit * 1000)}).` };
  return { seconds, error: '' };
}

/** How far ahead a start may be (the server's limit: access.MaxScheduleAhead). */
export const MAX_START_AHEAD_MS = 90 * 86400_000;

export interface StartCheck {
  /** The start as RFC 3339 UTC ('' when none). */
  iso: string;
  /** Its instant (ms), NaN when none. */
  ms: number;
  error: string;
}

/**
 * Checks the Request dialog's start: a date and time ("2026-11-24T09:00",
 * what a datetime-local input gives) in the user's time zone, in the
 * future on the server's clock (nowMs) and at most 90 days ahead.
 */
export function checkStart(local: string, nowMs: number): StartCheck {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return { iso: '', ms: NaN, error: 'Enter the date and the time access should start.' };
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const at = new Date(y, mo - 1, d, h, mi, s);
  if (at.getFullYear() !== y || at.getMonth() !== mo - 1 || at.getDate() !== d) {
    return { iso: '', ms: NaN, error: 'That date does not exist.' };
  }
  const ms = at.getTime();
  if (!(ms > nowMs)) return { iso: '', ms, error: 'Choose a start in the future (or leave "Start later" off).' };
  if (ms - nowMs > MAX_START_AHEAD_MS) return { iso: '', ms, error: 'The start can be at most 90 days ahead.' };
  return { iso: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'), ms, error: '' };
}

/** A datetime-local input's value for an instant, in the user's time zone: "2026-11-24T09:00". */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
