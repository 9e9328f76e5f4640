import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { ClockContext, skewedClock } from '../clock';
import { history, net, NOW, req, status, XSS } from '../test/fixtures';
import { byTestId, click, mount, settle } from '../test/render';
import type { Network, Status } from '../types';
import { NetworkRow, type RowActions } from './NetworkRow';

function actions(): RowActions & { [k: string]: ReturnType<typeof vi.fn> } {
  return {
    request: vi.fn(),
    cancel: vi.fn(),
    toggle: vi.fn(),
    release: vi.fn(),
    extend: vi.fn(),
    breakGlass: vi.fn(),
    refreshDetails: vi.fn(),
    history: vi.fn(() => Promise.resolve(history())),
  };
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
    expect(root.querySelector('[data-testid="connection"]')).toBeNull();
    const btn = byTestId(root, 'request');
    expect(btn.textContent).toBe('Request');
    expect(root.querySelector('[role="switch"]')).toBeNull();
    expect(root.querySelector('[data-testid="countdown"]')).toBeNull();
    expect(root.querySelector('[data-testid="pending"]')).toBeNull();
    click(btn);
    expect(a.request).toHaveBeenCalledOnce();
  });

  it('pending → "Access request pending" in grey with Cancel, when it was sent and the duration asked', () => {
    const a = actions();
    const n = net({ state: 'pending', request: req({ duration_seconds: 8 * 3600 }) });
    const { root } = keep(renderRow(n, a));
    const label = root.querySelector('.pending-label')!;
    expect(label.textContent).toBe('Access request pending');
    expect(root.querySelector('[data-testid="request"]')).toBeNull();
    expect(root.querySelector('[role="switch"]')).toBeNull();
    expect(byTestId(root, 'reason').textContent).toBe('fix the build server');
    expect(byTestId(root, 'pending-meta').textContent).toBe('Sent 5m ago · asked for 8h');
    const asked = keep(renderRow(net({ state: 'pending', request: req({ requested_at: new Date(NOW - 3 * 3600_000).toISOString() }) })));
    expect(byTestId(asked.root, 'pending-meta').textContent).toBe('Sent 3h ago · no duration asked');
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
    const { root } = keep(renderRow(net({ state: 'standing', jit_enabled: false, want_connected: true, connected: true, tunnel_state: 'connected', address: '10.77.0.5/32' })));
    const sw = root.querySelector<HTMLElement>('[role="switch"]')!;
    expect(sw.getAttribute('aria-checked')).toBe('true');
    expect(root.querySelector('.ok')).toBeNull();
    expect(root.querySelector('[data-testid="countdown"]')).toBeNull();
    expect(root.querySelector('[data-testid="request"]')).toBeNull();
    expect(byTestId(root, 'connection').textContent).toBe('Connected · 10.77.0.5');
  });

  it('a denied request shows the admin note and "Request again"', () => {
    const a = actions();
    const n = net({ state: 'request', request: req({ status: 'denied', note: 'not this week' }) });
    const { root } = keep(renderRow(n, a));
    expect(byTestId(root, 'outcome').textContent).toContain('Request denied.');
    expect(byTestId(root, 'note').textContent).toBe('not this week');
    expect(byTestId(root, 'request').textContent).toBe('Request again');
    click(byTestId(root, 'request'));
    expect(a.request).toHaveBeenCalledWith(n);
  });

  it('"Connected" only once the gateway answered; "Connecting…" until then', () => {
    const active = { state: 'active' as const, expires_at: new Date(NOW + 3600_000).toISOString(), want_connected: true, address: '10.77.0.2/32' };
    const text = (over: Partial<Network>) => {
      const { root } = keep(renderRow(net({ ...active, ...over })));
      return [byTestId(root, 'connection').textContent, root.querySelector('[role="switch"]')!.classList.contains('busy')];
    };
    expect(text({ tunnel_state: 'connecting', connecting: true })).toEqual(['Connecting…', true]);
    expect(text({ tunnel_state: 'handshaking', connected: true })).toEqual(['Connecting…', true]); // up, no handshake yet
    expect(text({ tunnel_state: 'connected', connected: true })).toEqual(['Connected · 10.77.0.2', false]);
    expect(text({ tunnel_state: 'retrying', error: 'could not connect: timeout' })).toEqual(['Not connected, retrying', false]);
    expect(text({ tunnel_state: 'off', want_connected: false })).toEqual(['Not connected', false]);
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
    expect(pending.root.querySelector('img:not(.logo)')).toBeNull();
    const denied = keep(renderRow(net({ state: 'request', description: XSS, request: req({ status: 'denied', note: XSS }) })));
    expect(byTestId(denied.root, 'note').textContent).toBe(XSS);
    expect(denied.root.querySelector('.description')!.textContent).toBe(XSS);
    expect(denied.root.querySelector('img:not(.logo)')).toBeNull();
    expect(alert).not.toHaveBeenCalled();
  });

  it('shows the connection details of an active network', () => {
    const n = net({
      state: 'active',
      expires_at: new Date(NOW + 3600_000).toISOString(),
      want_connected: true,
      connected: true,
      tunnel_state: 'connected',
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
    expect(byTestId(root, 'handshake').textContent).toBe('just now');
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

  it('lists the user\'s past requests on the network in the details, user text inert', async () => {
    const alert = vi.fn();
    vi.stubGlobal('alert', alert);
    const a = actions();
    const n = net({ state: 'request', request: req({ status: 'denied', note: 'not this week' }) });
    const { root } = keep(renderRow(n, a));
    expect(a.history).not.toHaveBeenCalled(); // only once the details open
    click(byTestId(root, 'details-toggle'));
    await settle();
    expect(a.history).toHaveBeenCalledWith(n);
    expect(root.querySelector('[data-testid="socks5"]')).toBeNull(); // no connection to show
    const items = Array.from(root.querySelectorAll('[data-testid="history-item"]'));
    expect(items.map((i) => i.getAttribute('data-status'))).toEqual(['denied', 'expired']);
    expect(items[0]!.textContent).toBe(`Denied 2d ago · 8hneed the printer ${XSS}Note: not this week`);
    expect(items[1]!.textContent).toBe('Expired 9d ago · 1hdeploy');
    expect(root.querySelector('img:not(.logo)')).toBeNull();
    expect(alert).not.toHaveBeenCalled();
  });

  it('says so when the history cannot be loaded', async () => {
    const a = actions();
    a.history = vi.fn(() => Promise.reject(new Error("Can't reach the Gatepass server.")));
    const { root } = keep(renderRow(net({ state: 'pending', request: req() }), a));
    click(byTestId(root, 'details-toggle'));
    await settle();
    expect(byTestId(root, 'history-error').textContent).toBe("Can't reach the Gatepass server.");
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

  it('shows minutes alone below an hour (never "0m 12s"), redraws once a minute, seconds only in the last minute', () => {
    const n = net({ state: 'active', expires_at: new Date(NOW + 3600_000 + 30_000).toISOString() });
    const { root } = keep(renderRow(n));
    const c = () => byTestId(root, 'countdown').textContent;
    expect(c()).toBe('Access expires in 1h 0m');
    act(() => void vi.advanceTimersByTime(30_001));
    expect(c()).toBe('Access expires in 59m');
    act(() => void vi.advanceTimersByTime(59_000));
    expect(c()).toBe('Access expires in 59m'); // the same minute: no change
    act(() => void vi.advanceTimersByTime(1000));
    expect(c()).toBe('Access expires in 58m');
    act(() => void vi.advanceTimersByTime(58 * 60_000)); // 58m 59.999s → 0m 59.999s
    expect(c()).toBe('Access expires in 59s');
    act(() => void vi.advanceTimersByTime(47_000));
    expect(c()).toBe('Access expires in 12s');
  });

  it('turns amber in the last ten minutes', () => {
    const n = net({ state: 'active', expires_at: new Date(NOW + 10 * 60_000 + 30_000).toISOString() });
    const { root } = keep(renderRow(n));
    const cd = () => byTestId(root, 'countdown');
    expect(cd().textContent).toBe('Access expires in 10m');
    expect(cd().classList.contains('ending')).toBe(false);
    act(() => void vi.advanceTimersByTime(30_001));
    expect(cd().textContent).toBe('Access expires in 9m');
    expect(cd().classList.contains('ending')).toBe(true);
    expect(cd().getAttribute('data-ending')).toBe('true');
  });

  it('wakes once a minute, not once a second, while minutes are shown', () => {
    const n = net({ state: 'active', expires_at: new Date(NOW + 9 * 60_000).toISOString() });
    const { root } = keep(renderRow(n));
    const renders: string[] = [];
    const obs = new MutationObserver(() => renders.push(byTestId(root, 'countdown').textContent ?? ''));
    obs.observe(byTestId(root, 'countdown'), { childList: true, characterData: true, subtree: true });
    act(() => void vi.advanceTimersByTime(5 * 60_000));
    obs.disconnect();
    expect(vi.getTimerCount()).toBe(1);
    expect(byTestId(root, 'countdown').textContent).toBe('Access expires in 4m');
    expect(renders.length).toBeLessThanOrEqual(5);
  });

  it('does not tick while nothing counts down', () => {
    keep(renderRow(net({ state: 'request' })));
    expect(vi.getTimerCount()).toBe(0);
  });
});
