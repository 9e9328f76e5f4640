import { createContext } from 'preact';

/**
 * The clock the countdowns use: the local clock corrected by the agent's
 * server time (server_time of the latest status), so a machine whose clock
 * is off still shows the time left on the server's clock.
 */
export interface Clock {
  now(): number;
}

export const localClock: Clock = { now: () => Date.now() };

/** A clock skewed by skewMs (server − local). */
export function skewedClock(skewMs: number): Clock {
  return { now: () => Date.now() + skewMs };
}

export const ClockContext = createContext<Clock>(localClock);
