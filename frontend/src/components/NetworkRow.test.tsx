import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { ClockContext, skewedClock } from '../clock';
import { net, NOW, req, status, XSS } from '../test/fixtures';
import { byTestId, click, mount } from '../test/render';
import type { Network, Status } from '../types';
import { NetworkRow, type RowActions } from './NetworkRow';

function actions(): RowActions & { [k: string]: ReturnType<typeof vi.fn> } {
  return { request: vi.fn(), cancel: vi.fn(), toggle: vi.fn(), release: vi.fn(), refreshDetails: vi.fn() };
}

function renderRow(n: Network, a = actions(), extra: { busy?: string; error?: string; status?: Status } = {}) {
  return mount(
    <ClockContext.Provider value={skewedClock(NOW - Date.now())}>
      <ul>
        <NetworkRow network={n} status={extra.status ?? status()} actions={a} busy={extra.busy ?? ''} error={extra.error ?? ''} />
      </ul>
    </ClockContext.Provider>,
  );
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});
function keep<T extends { unmount(): void }>(m: T): T {
  cleanup.push(() => m.unmount());
  return m;
}

describe('a network row shows its state as the description says', () => {
  it('request → a Request button, nothing else', () => {
    const a = actions();
    const { root } = keep(renderRow(net({ state: 'request' }), a));
    const btn = byTestId(root, 'request');
    expect(btn.textContent).toBe('Request');
    expect(root.querySelector('[role="switch"]')).toBeNull();
    expect(root.querySelector('[data-testid="countdown"]')).toBeNull();
    expect(root.querySelector('[data-testid="pending"]')).toBeNull();
    click(btn);
    expect(a.request).toHaveBeenCalledOnce();
  });

  it('pending → "Access request pending" in grey with Cancel', () => {
    const a = actions();
    const n = net({ state: 'pending', request: req() });
    const { root } = keep(renderRow(n, a));
    const label = root.querySelector('.pending-label')!;
    expect(label.textContent).toBe('Access request pending');
    expect(root.querySelector('[data-testid="request"]')).toBeNull();
    expect(root.querySelector('[role="switch"]')).toBeNull();
    expect(byTestId(root, 'reason').textContent).toBe('fix the build server');
    click(byTestId(root, 'cancel'));
    expect(a.cancel).toHaveBeenCalledWith(n);
  });

  it('active → green check, toggle and a live countdown "Access expires in 29d 23h"', () => {
    const a = actions();
    const n = net({ state: 'active', expires_at: new Date(NOW + 30 * 86400_000 - 1000).toISOString(), want_connected: false });
    const { root } = keep(renderRow(n, a));
    expect(root.querySelector('.ok .icon-check')).not.toBeNull();
    expect(byTestId(root, 'countdown').textContent).toBe('Access expires in 29d 23h');
    const sw = root.querySelector<HTMLElement>('[role="switch"]')!;
    expect(sw.getAttribute('aria-checked')).toBe('false');
    expect(sw.getAttribute('aria-label')).toBe('Connect to office-network');
    expect(root.querySelector('[data-testid="request"]')).toBeNull();
    click(sw);
    expect(a.toggle).toHaveBeenCalledWith(n);
  });

  it('standing → the toggle alone (no check, no countdown, no request)', () => {
    const { root } = keep(renderRow(net({ state: 'standing', jit_enabled: false, want_connected: true, connected: true, address: '10.77.0.5/32' })));
    const sw = root.querySelector<HTMLElement>('[role="switch"]')!;
    expect(sw.getAttribute('aria-checked')).toBe('true');
    expect(root.querySelector('.ok')).toBeNull();
    expect(root.querySelector('[data-testid="countdown"]')).toBeNull();
    expect(root.querySelector('[data-testid="request"]')).toBeNull();
    expect(byTestId(root, 'connection').textContent).toBe('Connected · 10.77.0.5');
  });

  it('a denied request shows the admin note and the Request button again', () => {
    const n = net({ state: 'request', request: req({ status: 'denied', note: 'not this week' }) });
    const { root } = keep(renderRow(n));
    expect(byTestId(root, 'outcome').textContent).toContain('Request denied.');
    expect(byTestId(root, 'note').textContent).toBe('not this week');
    expect(byTestId(root, 'request').textContent).toBe('Request');
  });

  it('a revoked grant says so; a released one does not blame an admin', () => {
    const revoked = keep(renderRow(net({ state: 'request', request: req({ status: 'revoked', ended_by: 'admin@example.com', note: 'project over' }) })));
    expect(byTestId(revoked.root, 'outcome').textContent).toContain('Access revoked by an admin.');
    const released = keep(renderRow(net({ state: 'request', request: req({ status: 'revoked', ended_by: 'contractor@example.com' }) })));
    expect(byTestId(released.root, 'outcome').textContent).toBe('You released your access.');
    const expired = keep(renderRow(net({ state: 'request', request: req({ status: 'expired', decided_at: new Date(NOW).toISOString() }) })));
    expect(byTestId(expired.root, 'outcome').textContent).toBe('Your access expired.');
  });

  it('shows a reason and a note with markup as text, never as HTML', () => {
    const alert = vi.fn();
    vi.stubGlobal('alert', alert);
    const pending = keep(renderRow(net({ state: 'pending', request: req({ reason: XSS }) })));
    expect(byTestId(pending.root, 'reason').textContent).toBe(XSS);
    expect(pending.root.querySelector('img')).toBeNull();
    const denied = keep(renderRow(net({ state: 'request', description: XSS, request: req({ status: 'denied', note: XSS }) })));
    expect(byTestId(denied.root, 'note').textContent).toBe(XSS);
    expect(denied.root.querySelector('.description')!.textContent).toBe(XSS);
    expect(denied.root.querySelector('img')).toBeNull();
    expect(alert).not.toHaveBeenCalled();
  });

  it('shows the connection details of an active network', () => {
    const n = net({
      state: 'active',
      expires_at: new Date(NOW + 3600_000).toISOString(),
      want_connected: true,
      connected: true,
      address: '10.77.0.2/32',
      tunnel: { last_handshake: new Date(NOW - 12_000).toISOString(), rx_bytes: 1500, tx_bytes: 512 },
    });
    const { root } = keep(renderRow(n));
    expect(root.querySelector('[data-testid="details"]')).toBeNull();
    const t = byTestId(root, 'details-toggle');
    expect(t.getAttribute('aria-expanded')).toBe('false');
    click(t);
    const d = byTestId(root, 'details');
    expect(d.textContent).toContain('10.77.0.2/32');
    expect(byTestId(root, 'socks5').textContent).toBe('127.0.0.1:41080');
    expect(byTestId(root, 'http-proxy').textContent).toBe('127.0.0.1:41081');
    expect(d.textContent).toContain('12 s ago');
    expect(d.textContent).toContain('1.5 kB');
    expect(d.textContent).toContain('512 B');
  });

  it('shows the proxies\' user name and password in the details when they ask for them', () => {
    const n = net({ state: 'active', expires_at: new Date(NOW + 3600_000).toISOString(), want_connected: true, connected: true });
    const withAuth = status({
      proxy_auth: { username: 'gpk3x9q2m7ab', password: 'N5TQ3ZK7WQ2LDMVX4Y6P2HJQ7A' },
      socks5_url: 'socks5h://gpk3x9q2m7ab:N5TQ3ZK7WQ2LDMVX4Y6P2HJQ7A@127.0.0.1:41080',
      http_proxy_url: 'http://gpk3x9q2m7ab:N5TQ3ZK7WQ2LDMVX4Y6P2HJQ7A@127.0.0.1:41081',
    });
    const { root } = keep(renderRow(n, actions(), { status: withAuth }));
    click(byTestId(root, 'details-toggle'));
    expect(byTestId(root, 'proxy-user').textContent).toBe('gpk3x9q2m7ab');
    expect(byTestId(root, 'proxy-password').textContent).toBe('N5TQ3ZK7WQ2LDMVX4Y6P2HJQ7A');
    expect(byTestId(root, 'socks5-url').textContent).toBe('ALL_PROXY=socks5h://gpk3x9q2m7ab:N5TQ3ZK7WQ2LDMVX4Y6P2HJQ7A@127.0.0.1:41080');
    expect(byTestId(root, 'proxy-hint').textContent).toContain('They ask for the user name and password above');

    // Without credentials (Linux): none shown, and who may use the proxies.
    const plain = keep(renderRow(n));
    click(byTestId(plain.root, 'details-toggle'));
    expect(plain.root.querySelector('[data-testid="proxy-user"]')).toBeNull();
    expect(plain.root.querySelector('[data-testid="proxy-password"]')).toBeNull();
    expect(byTestId(plain.root, 'proxy-hint').textContent).toContain('Only your user account can use them.');
  });

  it('shows an action error and a tunnel error', () => {
    const { root } = keep(renderRow(net({ state: 'active', expires_at: new Date(NOW + 3600_000).toISOString(), want_connected: true, error: 'could not connect: timeout' })));
    expect(byTestId(root, 'row-error').textContent).toBe('could not connect: timeout');
  });
});

describe('the countdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('goes from hours+minutes to minutes+seconds and ticks every second near the end', () => {
    const n = net({ state: 'active', expires_at: new Date(NOW + 3600_000 + 30_000).toISOString() });
    const { root } = keep(renderRow(n));
    const c = () => byTestId(root, 'countdown').textContent;
    expect(c()).toBe('Access expires in 1h 0m');
    act(() => void vi.advanceTimersByTime(30_001));
    expect(c()).toBe('Access expires in 59m 59s');
    act(() => void vi.advanceTimersByTime(1000));
    expect(c()).toBe('Access expires in 59m 58s');
    act(() => void vi.advanceTimersByTime(49 * 60_000 + 58_000));
    expect(c()).toBe('Access expires in 10m 0s');
    act(() => void vi.advanceTimersByTime(1000));
    expect(c()).toBe('Access expires in 9m 59s');
  });

  it('does not tick while nothing counts down', () => {
    keep(renderRow(net({ state: 'request' })));
    expect(vi.getTimerCount()).toBe(0);
  });
});
