// Time and size formats of the window.
//
// The durations are the TypeScript twin of the Go package
// gatepass.dev/shared/humantime, which the tray, the notifications and
// `gatepassd status` use: countdown ("29d 23h", "7h 59m", "12m", and only in
// the last minute "59s"; never "0m 12s"), nextChange (when a countdown's text
// changes next), span ("8h", "1d 2h", "30m"), ago ("5m ago") and
// parseDuration ("90m", "1d 2h"). Both are tested against the same table,
// shared/humantime/testdata/vectors.json: change a rule there first. All
// durations here are in milliseconds.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The last ten minutes of a grant: the countdown turns amber (notify.EndingWarning on the Go side). */
export const ENDING_SOON_MS = 10 * MINUTE;

/** The time left as a countdown shows it, rounded down: "29d 23h", "7h 59m", "12m", "59s"; "0s" when over. */
export function countdown(ms: number): string {
  if (ms >= DAY) return `${Math.floor(ms / DAY)}d ${Math.floor((ms % DAY) / HOUR)}h`;
  if (ms >= HOUR) return `${Math.floor(ms / HOUR)}h ${Math.floor((ms % HOUR) / MINUTE)}m`;
  if (ms >= MINUTE) return `${Math.floor(ms / MINUTE)}m`;
  if (ms > 0) return `${Math.floor(ms / SECOND)}s`;
  return '0s';
}

/**
 * How long (ms) until countdown(ms) reads differently, a millisecond past
 * the boundary: a countdown's ticker sleeps this long (an hour while days
 * are shown, a minute while minutes are, a second only in the last minute).
 * Infinity once over: the text never changes again.
 */
export function nextChange(ms: number): number {
  if (!(ms > 0)) return Infinity;
  const unit = ms >= DAY ? HOUR : ms >= MINUTE ? MINUTE : SECOND;
  return (ms % unit) + 1;
}

/** A length of time: its two largest non-zero units, rounded to the second ("8h", "30d", "1d 2h", "1h 30m"); "0s" for none. */
export function span(ms: number): string {
  let s = Math.round(ms / SECOND);
  if (!(s > 0)) return '0s';
  const parts: string[] = [];
  for (const [size, name] of [
    [DAY / SECOND, 'd'],
    [HOUR / SECOND, 'h'],
    [MINUTE / SECOND, 'm'],
    [1, 's'],
  ] as const) {
    const n = Math.floor(s / size);
    if (n > 0) {
      parts.push(`${n}${name}`);
      s -= n * size;
      if (parts.length === 2) break;
    }
  }
  return parts.join(' ');
}

/** How long ago (ms in the past): "just now" under a minute (or in the future), then "5m ago", "3h ago", "2d ago". */
export function ago(ms: number): string {
  if (!(ms >= MINUTE)) return 'just now';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h ago`;
  return `${Math.floor(ms / DAY)}d ago`;
}

/** How long (ms) until ago(ms) reads differently, as ms grows with time: a "sent 5m ago" redraws once a minute, then once an hour, then once a day. */
export function agoNextChange(ms: number): number {
  if (ms < MINUTE) return MINUTE - ms;
  const unit = ms < HOUR ? MINUTE : ms < DAY ? HOUR : DAY;
  return unit - (ms % unit);
}

/** "Access expires in …" for ms left. */
export function expiresText(ms: number): string {
  return ms > 0 ? `Access expires in ${countdown(ms)}` : 'Access has ended';
}

/** "Access starts in …" for ms until a scheduled grant starts. */
export function startsText(ms: number): string {
  return ms > 0 ? `Access starts in ${countdown(ms)}` : 'Access is starting…';
}

// The units parseDuration knows, in nanoseconds (as the Go twin counts).
const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n, // U+00B5
  'μs': 1000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};
const MAX = 1n << 63n;

/** Why parseDuration refused a text, in words (the Go twin's message). */
export class DurationError extends Error {}

/** Go's strconv.Quote for the texts people type (JSON's quoting, without escaping non-ASCII). */
function quote(s: string): string {
  return JSON.stringify(s);
}

// Go's strings.TrimSpace.
const SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/**
 * Reads a duration as people type it: an optional sign, then parts of a
 * number (decimals allowed) and a unit (ns, us, ms, s, m, h, d, w), with or
 * without spaces: "90m", "8h", "1d 2h", "2h30m", "1.5h". Returns
 * milliseconds; throws a DurationError that says what is wrong.
 */
export function parseDuration(text: string): number {
  const fail = (why: string) => new DurationError(`${quote(text)} is not a duration: ${why}`);
  let s = text.replace(SPACE, '');
  if (s === '') throw fail('it is empty');
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw fail('a number and a unit are missing');
  let total = 0n;
  while (s !== '') {
    // The number: digits, then an optional fraction.
    let i = 0;
    let v = 0n;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX) throw fail('it is too long');
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && s[j]! >= '0' && s[j]! <= '9') {
        if (!overflow) {
          const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
          if (f > (MAX - 1n) / 10n || y > MAX) overflow = true;
          else {
            f = y;
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw fail('each part is a number and a unit, e.g. 8h, 90m or 1d 12h');
    // The unit (after optional spaces): up to the next digit, dot or space.
    s = s.replace(/^ +/, '');
    let k = 0;
    while (k < s.length && !/[0-9. ]/.test(s[k]!)) k++;
    if (k === 0) throw fail('a unit is missing (w, d, h, m, s), e.g. 8h or 2d');
    const name = s.slice(0, k);
    s = s.slice(k).replace(/^ +/, '');
    const unit = UNITS[name];
    if (unit === undefined) throw fail(`unknown unit ${quote(name)} (w, d, h, m, s, ms)`);
    if (v > MAX / unit) throw fail('it is too long');
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX) throw fail('it is too long');
    }
    total += v;
    if (total > MAX) throw fail('it is too long');
  }
  if (!neg && total > MAX - 1n) throw fail('it is too long');
  const ms = Number(total) / 1e6;
  return neg && ms !== 0 ? -ms : ms;
}

/** Bytes for people: "0 B", "512 B", "1.5 kB", "12 MB" (SI units). */
export function formatBytes(n: number): string {
  if (!(n > 0)) return '0 B';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A date for people, in the user's locale: "23 Nov 2026"; "—" when unknown. */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A time of day for people, in the user's locale and zone: "09:00"; "—" when unknown. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** A date and time for people, in the user's locale: "23 Nov 2026, 09:00"; "—" when unknown. */
export function formatDateTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
