import { useContext, useEffect, useState } from 'preact/hooks';
import { ClockContext } from '../clock';
import { ago, agoNextChange, ENDING_SOON_MS, expiresText, formatDateTime, nextChange, startsText } from '../format';
import { ticker } from '../ticker';

/**
 * A live "Access expires in 29d 23h", redrawn by the shared ticker only
 * when its text changes (minutes show minutes: seconds only in the last
 * minute). Amber in the last ten minutes.
 */
export function Countdown({ expiresAt }: { expiresAt: string }) {
  const clock = useContext(ClockContext);
  const exp = Date.parse(expiresAt);
  const [text, setText] = useState(() => expiresText(exp - clock.now()));
  const [ending, setEnding] = useState(() => isEnding(exp - clock.now()));
  useEffect(() => {
    const update = () => {
      const ms = exp - clock.now();
      setText(expiresText(ms)); // the same text again renders nothing
      setEnding(isEnding(ms));
    };
    update();
    return ticker.subscribe(() => {
      const ms = exp - clock.now();
      return ms >= ENDING_SOON_MS ? Math.min(nextChange(ms), ms - ENDING_SOON_MS + 1) : nextChange(ms);
    }, update);
  }, [exp, clock]);
  return (
    <span class={`countdown${ending ? ' ending' : ''}`} role="timer" data-testid="countdown" data-ending={ending ? 'true' : undefined}>
      {text}
    </span>
  );
}

function isEnding(ms: number): boolean {
  return ms > 0 && ms < ENDING_SOON_MS;
}

/**
 * A live "Access starts in 2h 10m" of a scheduled grant, on the same rules
 * and the same ticker as the expiry's countdown: redrawn only when its text
 * changes. At the start the agent turns the row active by itself.
 */
export function StartCountdown({ startsAt }: { startsAt: string }) {
  const clock = useContext(ClockContext);
  const start = Date.parse(startsAt);
  const [text, setText] = useState(() => startsText(start - clock.now()));
  useEffect(() => {
    const update = () => setText(startsText(start - clock.now()));
    update();
    return ticker.subscribe(() => nextChange(start - clock.now()), update);
  }, [start, clock]);
  return (
    <span class="countdown starts" role="timer" data-testid="starts-countdown">
      {text}
    </span>
  );
}

/** "5m ago" for an RFC 3339 time on the server clock, redrawn only when its text changes. */
export function Ago({ at }: { at: string }) {
  const clock = useContext(ClockContext);
  const t = Date.parse(at);
  const [text, setText] = useState(() => ago(clock.now() - t));
  useEffect(() => {
    if (!Number.isFinite(t)) return undefined;
    const update = () => setText(ago(clock.now() - t));
    update();
    return ticker.subscribe(() => agoNextChange(clock.now() - t), update);
  }, [t, clock]);
  if (!Number.isFinite(t)) return null;
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {text}
    </time>
  );
}
