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
