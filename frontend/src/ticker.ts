// One shared ticker for every countdown on screen. It runs only while
// something counts down (a countdown subscribes while it is mounted) and
// sleeps until the next moment a displayed text changes: every second while
// seconds are shown, once a minute or an hour otherwise (at most a minute, so
// a suspended machine catches up soon after it wakes). Idle, with no grant
// counting down, it does not run at all; nor while the page is hidden (the
// window closed to the tray): it catches up at once when shown again.

type Sub = { next: () => number; fire: () => void };

const MAX_SLEEP = 60_000;
const MIN_SLEEP = 20;

export class Ticker {
  private subs = new Set<Sub>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Wake-ups so far (tests and benchmarks read it). */
  wakeups = 0;

  // The timer functions are looked up at each use, so tests' fake timers apply.
  private setT = (fn: () => void, ms: number) => setTimeout(fn, ms);
  private clearT = (t: ReturnType<typeof setTimeout>) => clearTimeout(t);

  /** Calls fire after at most next() ms, and again after each change, until the returned function is called. */
  subscribe(next: () => number, fire: () => void): () => void {
    const s: Sub = { next, fire };
    this.subs.add(s);
    this.schedule();
    return () => {
      this.subs.delete(s);
      this.schedule();
    };
  }

  get running(): boolean {
    return this.timer !== null;
  }

  private watching = false;

  private hidden(): boolean {
    if (typeof document === 'undefined') return false;
    if (!this.watching) {
      this.watching = true;
      document.addEventListener('visibilitychange', () => {
        if (document.hidden) {
          this.schedule();
          return;
        }
        for (const s of [...this.subs]) s.fire();
        this.schedule();
      });
    }
    return document.hidden;
  }

  private schedule(): void {
    if (this.timer !== null) {
      this.clearT(this.timer);
      this.timer = null;
    }
    if (this.subs.size === 0 || this.hidden()) return;
    let delay = MAX_SLEEP;
    for (const s of this.subs) delay = Math.min(delay, s.next());
    if (!Number.isFinite(delay)) return;
    delay = Math.max(MIN_SLEEP, Math.min(MAX_SLEEP, Math.ceil(delay)));
    this.timer = this.setT(() => {
      this.timer = null;
      this.wakeups++;
      for (const s of [...this.subs]) s.fire();
      this.schedule();
    }, delay);
  }
}

/** The ticker of the page. */
export const ticker = new Ticker();
