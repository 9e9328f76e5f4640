import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { ClockContext, skewedClock } from '../clock';
import { history, net, NOW, req, status, XSS } from '../test/fixtures';
import { byTestId, click, mount } from '../test/render';
import type { Network } from '../types';
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

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
  vi.unstubAllGlobals();
});

function renderRow(n: Network, a = actions()) {
  const m = mount(
    <ClockContext.Provider value={skewedClock(NOW - Date.now())}>
      <ul>
        <NetworkRow network={n} status={status()} actions={a} busy="" error="" />
      </ul>
    </ClockContext.Provider>,
  );
  cleanup.push(() => m.unmount());
  return m.root;
}

const iso = (ms: number) => new Date(NOW + ms).toISOString();
const H = 3600_000;

function active(over: Partial<Network> = {}): Network {
  return net({
    state: 'active',
    expires_at: iso(H),
    want_connected: true,
    connected: true,
    tunnel_state: 'connected',
    address: '10.77.0.2/32',
    request: req({ status: 'approved', expires_at: iso(H), decided_by: 'admin@example.com', decided_at: iso(0) }),
    max_extension_seconds: 6 * 3600,
    ...over,
  });
}

function noMarkup(root: HTMLElement) {
  expect(root.querySelector('img:not(.logo)')).toBeNull();
  expect(root.querySelector('script')).toBeNull();
}

describe('multi-party approval', () => {
  it('a pending row shows "1 of 2 approvals" and who approved', () => {
    const n = net({
      state: 'pending',
      required_approvals: 2,
      request: req({ required_approvals: 2, approvals: [{ user_id: 'u9', by: 'dana@example.com', at: iso(-60_000), duration_seconds: 3600 }] }),
    });
    const root = renderRow(n);
    expect(byTestId(root, 'approvals').textContent).toBe('1 of 2 approvals · approved by dana@example.com');
    expect(byTestId(root, 'pending').textContent).toContain('Access request pending');
  });

  it('none yet: "0 of 2 approvals"; three approvers are listed in order', () => {
    expect(byTestId(renderRow(net({ state: 'pending', required_approvals: 2, request: req({ required_approvals: 2 }) })), 'approvals').textContent).toBe('0 of 2 approvals');
    const approvals = ['a@x.com', 'b@x.com'].map((by, i) => ({ user_id: `u${i}`, by, at: iso(0), duration_seconds: 0 }));
    const root = renderRow(net({ state: 'pending', required_approvals: 3, request: req({ required_approvals: 3, approvals }) }));
    expect(byTestId(root, 'approvals').textContent).toBe('2 of 3 approvals · approved by a@x.com and b@x.com');
  });

  it('a request that needs one approval says nothing of approvals', () => {
    expect(renderRow(net({ state: 'pending', request: req() })).querySelector('[data-testid="approvals"]')).toBeNull();
  });

  it('shows an approver\'s text as text', () => {
    const root = renderRow(net({ state: 'pending', required_approvals: 2, request: req({ required_approvals: 2, approvals: [{ user_id: 'u9', by: XSS, at: iso(0), duration_seconds: 0 }] }) }));
    expect(byTestId(root, 'approver').textContent).toBe(XSS);
    noMarkup(root);
  });
});

describe('scheduled access', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('a scheduled row counts down "Access starts in 2h 10m", with its window, no toggle, no request', () => {
    const start = iso(2 * H + 10 * 60_000 + 30_000);
    const n = net({ state: 'scheduled', starts_at: start, request: req({ status: 'approved', starts_at: start, expires_at: iso(3 * H + 10 * 60_000 + 30_000) }) });
    const root = renderRow(n);
    expect(root.querySelector('li')!.dataset.state).toBe('scheduled');
    expect(byTestId(root, 'starts-countdown').textContent).toBe('Access starts in 2h 10m');
    expect(byTestId(root, 'window').textContent).toMatch(/^From .+ until .+$/);
    expect(root.querySelector('[role="switch"]')).toBeNull();
    expect(root.querySelector('[data-testid="request"]')).toBeNull();
    expect(root.querySelector('[data-testid="countdown"]')).toBeNull();
    // Redrawn only when the text changes: 30 s later, then once a minute.
    act(() => void vi.advanceTimersByTime(29_000));
    expect(byTestId(root, 'starts-countdown').textContent).toBe('Access starts in 2h 10m');
    act(() => void vi.advanceTimersByTime(1_001));
    expect(byTestId(root, 'starts-countdown').textContent).toBe('Access starts in 2h 9m');
    expect(vi.getTimerCount()).toBe(1);
  });

  it('seconds only in the last minute', () => {
    const root = renderRow(net({ state: 'scheduled', starts_at: iso(61_000) }));
    expect(byTestId(root, 'starts-countdown').textContent).toBe('Access starts in 1m');
    act(() => void vi.advanceTimersByTime(1_001));
    expect(byTestId(root, 'starts-countdown').textContent).toBe('Access starts in 59s');
  });

  it('a pending request for later says when it should start', () => {
    const root = renderRow(net({ state: 'pending', starts_at: iso(2 * H), request: req({ starts_at: iso(2 * H) }) }));
    expect(byTestId(root, 'asked-start').textContent).toMatch(/^Asked to start /);
  });
});

describe('extending an active grant', () => {
  it('offers "Extend…" while the grant may grow', () => {
    const a = actions();
    const n = active();
    const root = renderRow(n, a);
    click(byTestId(root, 'extend'));
    expect(a.extend).toHaveBeenCalledWith(n);
    expect(renderRow(active({ max_extension_seconds: 0 })).querySelector('[data-testid="extend"]')).toBeNull();
  });

  it('shows a pending extension on the row ("Extension requested: +2h, pending") and no second Extend…', () => {
    const root = renderRow(active({ extension: req({ id: 'x1', kind: 'extension', status: 'pending', duration_seconds: 7200, grant_id: 'r1' }) }));
    expect(byTestId(root, 'extension').textContent).toBe('Extension requested: +2h, pending');
    expect(root.querySelector('[data-testid="extend"]')).toBeNull();
    expect(byTestId(root, 'countdown').textContent).toMatch(/^Access expires in (1h 0m|59m)$/);
    expect(byTestId(root, 'connection').textContent).toBe('Connected · 10.77.0.2');
  });

  it('a pending extension that needs two approvals says how far it is', () => {
    const ext = req({ kind: 'extension', status: 'pending', duration_seconds: 7200, required_approvals: 2, approvals: [{ user_id: 'u9', by: 'dana@example.com', at: iso(0), duration_seconds: 0 }] });
    const root = renderRow(active({ required_approvals: 2, extension: ext }));
    expect(byTestId(root, 'extension').textContent).toBe('Extension requested: +2h, pending1 of 2 approvals · approved by dana@example.com');
  });

  it('a denied extension shows the note as text; a granted one what it added', () => {
    const denied = renderRow(active({ extension: req({ kind: 'extension', status: 'denied', duration_seconds: 3600, note: XSS }) }));
    expect(byTestId(denied, 'extension').textContent).toBe(`Extension +1h denied. Note: ${XSS}`);
    noMarkup(denied);
    expect(byTestId(denied, 'extend')).toBeTruthy(); // may ask again
    const granted = renderRow(active({ extension: req({ kind: 'extension', status: 'approved', duration_seconds: 7200, granted_seconds: 3600, rule: 'on-call' }) }));
    expect(byTestId(granted, 'extension').textContent).toBe('Extended +1h by rule on-call');
  });
});

describe('break-glass', () => {
  it('offers "Break glass…" where the network allows it, and only there', () => {
    const a = actions();
    const n = net({ state: 'request', break_glass: { max_duration_seconds: 3600 } });
    const root = renderRow(n, a);
    click(byTestId(root, 'break-glass'));
    expect(a.breakGlass).toHaveBeenCalledWith(n);
    expect(byTestId(root, 'request')).toBeTruthy();
    expect(renderRow(net({ state: 'request' })).querySelector('[data-testid="break-glass"]')).toBeNull();
    // Also while a request waits: emergencies do not wait.
    expect(byTestId(renderRow(net({ state: 'pending', request: req(), break_glass: { max_duration_seconds: 3600 } })), 'break-glass')).toBeTruthy();
  });

  it('marks a break-glass grant, and says in the details that approvers were alerted', () => {
    const n = active({ request: req({ status: 'approved', kind: 'break_glass', rule: 'break-glass', review_required: true, expires_at: iso(H) }) });
    const root = renderRow(n);
    expect(byTestId(root, 'break-glass-badge').textContent).toBe('Break-glass');
    click(byTestId(root, 'details-toggle'));
    expect(byTestId(root, 'grant-info').textContent).toBe('Break-glass access: every approver was alerted; it awaits their review.');
    expect(renderRow(active()).querySelector('[data-testid="break-glass-badge"]')).toBeNull();
  });
});

describe('how a grant was given, in the details', () => {
  it('a rule: "Approved by rule on-call"', () => {
    const root = renderRow(active({ request: req({ status: 'approved', rule: 'on-call', expires_at: iso(H) }) }));
    click(byTestId(root, 'details-toggle'));
    expect(byTestId(root, 'grant-info').textContent).toBe('Approved by rule on-call');
  });

  it('two approvers, or one', () => {
    const approvals = ['dana@example.com', 'erik@example.com'].map((by, i) => ({ user_id: `u${i}`, by, at: iso(0), duration_seconds: 3600 }));
    const two = renderRow(active({ request: req({ status: 'approved', approvals, required_approvals: 2, expires_at: iso(H) }) }));
    click(byTestId(two, 'details-toggle'));
    expect(byTestId(two, 'grant-info').textContent).toBe('Approved by dana@example.com and erik@example.com');
    const one = renderRow(active());
    click(byTestId(one, 'details-toggle'));
    expect(byTestId(one, 'grant-info').textContent).toBe('Approved by admin@example.com');
  });

  it('a rule\'s name is text, never markup', () => {
    const alert = vi.fn();
    vi.stubGlobal('alert', alert);
    const root = renderRow(active({ request: req({ status: 'approved', rule: XSS, expires_at: iso(H) }) }));
    click(byTestId(root, 'details-toggle'));
    expect(byTestId(root, 'rule').textContent).toBe(XSS);
    noMarkup(root);
    expect(alert).not.toHaveBeenCalled();
  });
});
