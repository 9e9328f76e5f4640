import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ticker } from './ticker';

describe('Ticker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs only while something counts down, and sleeps until the next change', () => {
    const t = new Ticker();
    expect(t.running).toBe(false);
    let left = 5 * 60_000 + 500; // "5m 0s", next change in 501 ms
    const fired: number[] = [];
    const off = t.subscribe(
      () => (left % 1000) + 1,
      () => fired.push(left),
    );
    expect(t.running).toBe(true);
    vi.advanceTimersByTime(500);
    expect(fired).toHaveLength(0);
    left -= 501;
    vi.advanceTimersByTime(1);
    expect(fired).toHaveLength(1);
    off();
    expect(t.running).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(fired).toHaveLength(1);
  });

  it('wakes at most once a minute for long countdowns', () => {
    const t = new Ticker();
    const off = t.subscribe(
      () => 3_600_000,
      () => undefined,
    );
    vi.advanceTimersByTime(60_000);
    expect(t.wakeups).toBe(1);
    off();
  });

  it('shares one timer between countdowns', () => {
    const t = new Ticker();
    const a = vi.fn();
    const b = vi.fn();
    const offA = t.subscribe(() => 1000, a);
    const offB = t.subscribe(() => 300, b);
    vi.advanceTimersByTime(300);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
    offA();
    offB();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sleeps while the page is hidden and catches up when shown', () => {
    const t = new Ticker();
    const fire = vi.fn();
    let hidden = false;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    const off = t.subscribe(() => 1000, fire);
    expect(t.running).toBe(true);
    hidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
    expect(t.running).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(fire).not.toHaveBeenCalled();
    hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
    expect(fire).toHaveBeenCalledTimes(1);
    expect(t.running).toBe(true);
    off();
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
  });
});
