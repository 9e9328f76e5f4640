// Time and size formats of the window. The countdown follows the product
// description: "Access expires in 29d 23h" while a day or more is left, then
// hours and minutes ("7h 59m"), then minutes and seconds ("9m 59s"), always
// rounded down (the same rules as desktop/internal/timefmt).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The time left, ms, as "29d 23h", "7h 59m" or "9m 59s"; "0s" when over. */
export function formatLeft(ms: number): string {
  if (!(ms > 0)) return '0s';
  if (ms >= DAY) return `${Math.floor(ms / DAY)}d ${Math.floor((ms % DAY) / HOUR)}h`;
  if (ms >= HOUR) return `${Math.floor(ms / HOUR)}h ${Math.floor((ms % HOUR) / MINUTE)}m`;
  return `${Math.floor(ms / MINUTE)}m ${Math.floor((ms % MINUTE) / SECOND)}s`;
}

/** "Access expires in …" for ms left. */
export function expiresText(ms: number): string {
  return ms > 0 ? `Access expires in ${formatLeft(ms)}` : 'Access has ended';
}

/**
 * How long (ms) until formatLeft(ms) reads differently: the countdown's
 * ticker sleeps this long (at most a second while seconds are shown, up to
 * an hour while days are).
 */
export function nextChange(ms: number): number {
  if (!(ms > 0)) return Infinity;
  const unit = ms >= DAY ? HOUR : ms >= HOUR ? MINUTE : SECOND;
  return (ms % unit) + 1;
}

/** A duration in seconds in words: "1 hour", "8 hours", "30 days", "90 minutes". */
export function formatDuration(seconds: number): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (seconds % 604800 === 0 && seconds >= 604800 && seconds / 604800 < 5) return plural(seconds / 604800, 'week');
  if (seconds % 86400 === 0 && seconds >= 86400) return plural(seconds / 86400, 'day');
  if (seconds % 3600 === 0 && seconds >= 3600) return plural(seconds / 3600, 'hour');
  if (seconds % 60 === 0 && seconds >= 60) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
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

/** How long ago (ms in the past): "just now", "40 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAgo(ms: number): string {
  if (ms < 5 * SECOND) return 'just now';
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s ago`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  return `${Math.floor(ms / DAY)} d ago`;
}

/** A date for people, in the user's locale: "23 Nov 2026"; "—" when unknown. */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
