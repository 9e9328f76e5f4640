import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBridge, net, NOW, req, status, ui, XSS } from '../test/fixtures';
import { byTestId, click, mount, row, settle, type } from '../test/render';
import { App, resetShown } from './App';

let un: (() => void) | null = null;
beforeEach(() => resetShown());
afterEach(() => {
  un?.();
  un = null;
});

async function start(f = fakeBridge()) {
  const m = mount(<App bridge={f.bridge} />);
  un = m.unmount;
  await settle();
  return { ...f, root: m.root };
}

describe('the window', () => {
  it('lists the networks as the description shows them and reports the list shown once', async () => {
    const w = await start();
    expect(row(w.root, 'office-network').dataset.state).toBe('request');
    expect(byTestId(row(w.root, 'office-network'), 'request')).toBeTruthy();
    expect(row(w.root, 'staging-internal').textContent).toContain('Access request pending');
    expect(byTestId(row(w.root, 'zero-path'), 'countdown').textContent).toMatch(/^Access expires in 29d 2[23]h$/);
    expect(w.app.Rendered).toHaveBeenCalledTimes(1);
    expect(w.app.Rendered).toHaveBeenCalledWith(['office-network', 'staging-internal', 'zero-path']);
  });

  it('follows state events without a reload: approval, then expiry back to Request', async () => {
    const w = await start();
    const pending = status().networks[1]!;
    const exp = new Date(NOW + 3600_000).toISOString();
    const approved = { ...pending, state: 'active' as const, expires_at: exp, request: req({ id: 'r2', status: 'approved', expires_at: exp }) };
    w.emit(ui(status({ networks: [status().networks[0]!, approved, status().networks[2]!] })));
    await settle();
    expect(row(w.root, 'staging-internal').dataset.state).toBe('active');
    expect(byTestId(row(w.root, 'staging-internal'), 'countdown').textContent).toMatch(/^Access expires in (1h 0m|59m)$/);
    const expired = { ...approved, state: 'request' as const, expires_at: null, request: req({ id: 'r2', status: 'expired', decided_at: exp }) };
    w.emit(ui(status({ networks: [status().networks[0]!, expired, status().networks[2]!] })));
    await settle();
    expect(row(w.root, 'staging-internal').dataset.state).toBe('request');
    expect(byTestId(row(w.root, 'staging-internal'), 'request')).toBeTruthy();
    expect(w.app.Rendered).toHaveBeenCalledTimes(1);
  });

  it('requests access: dialog, submit, pending at once', async () => {
    const w = await start();
    click(byTestId(row(w.root, 'office-network'), 'request'));
    const dlg = byTestId(document.body, 'request-dialog');
    type(byTestId(dlg, 'reason-input') as HTMLTextAreaElement, 'fix the printer');
    const pendingNow = ui(status({ networks: [net({ state: 'pending', request: req({ reason: 'fix the printer' }) }), ...status().networks.slice(1)] }));
    w.app.Request.mockResolvedValueOnce(pendingNow);
    click(byTestId(dlg, 'submit'));
    await settle();
    expect(w.app.Request).toHaveBeenCalledWith('office-network', 'fix the printer', 0, '');
    expect(document.querySelector('[data-testid="request-dialog"]')).toBeNull();
    expect(row(w.root, 'office-network').dataset.state).toBe('pending');
  });

  it('connects and disconnects with the toggle, showing an error', async () => {
    const w = await start(fakeBridge(ui(status({ networks: [net({ state: 'active', expires_at: new Date(NOW + 86400_000).toISOString() })] }))));
    w.app.Connect.mockRejectedValueOnce(new Error('office-network: could not connect: no route (retrying)'));
    click(w.root.querySelector<HTMLElement>('[role="switch"]')!);
    await settle();
    expect(w.app.Connect).toHaveBeenCalledWith('office-network');
    expect(byTestId(w.root, 'row-error').textContent).toContain('could not connect');
  });

  it('says when the server cannot be reached and when the agent is gone', async () => {
    const w = await start(fakeBridge(ui(status({ backend_reachable: false }))));
    expect(byTestId(w.root, 'unreachable').textContent).toContain("Can't reach the Gatepass server");
    w.emit({ agent: { connected: false, starting: false, error: 'Lost the connection to the Gatepass agent (EOF). Reconnecting…', socket: '' }, status: status() });
    await settle();
    expect(byTestId(w.root, 'agent-banner').textContent).toContain('Lost the connection');
  });

  it('signs in and shows the error of a wrong password', async () => {
    const w = await start(fakeBridge(ui(status({ signed_in: false, user: null, networks: [], server: 'http://127.0.0.1:8080' }))));
    expect((byTestId(w.root, 'server') as HTMLInputElement).value).toBe('http://127.0.0.1:8080');
    type(byTestId(w.root, 'email') as HTMLInputElement, 'contractor@example.com');
    type(byTestId(w.root, 'password') as HTMLInputElement, 'nope');
    w.app.Login.mockRejectedValueOnce(new Error('Wrong email or password.'));
    click(byTestId(w.root, 'signin-submit'));
    await settle();
    expect(w.app.Login).toHaveBeenCalledWith('http://127.0.0.1:8080', 'contractor@example.com', 'nope');
    expect(byTestId(w.root, 'signin-error').textContent).toBe('Wrong email or password.');
    expect((byTestId(w.root, 'password') as HTMLInputElement).value).toBe('');
    w.app.Login.mockResolvedValueOnce(ui());
    type(byTestId(w.root, 'password') as HTMLInputElement, 'right');
    click(byTestId(w.root, 'signin-submit'));
    await settle();
    expect(row(w.root, 'zero-path')).toBeTruthy();
  });

  it('opens the settings and signs out', async () => {
    const w = await start();
    click(byTestId(w.root, 'open-settings'));
    await settle();
    expect(byTestId(w.root, 'settings-server').textContent).toBe('https://gatepass.example.com');
    click(byTestId(w.root, 'start-at-login'));
    await settle();
    expect(w.app.SetStartAtLogin).toHaveBeenCalledWith(true);
    click(byTestId(w.root, 'connect-on-approval'));
    await settle();
    expect(w.app.SetConnectOnApproval).toHaveBeenCalledWith(false);
    // A tunnel is up (zero-path): signing out asks first.
    click(byTestId(w.root, 'signout'));
    await settle();
    expect(w.app.Logout).not.toHaveBeenCalled();
    expect(byTestId(w.root, 'signout-confirm').textContent).toContain('Your tunnel to zero-path is up: signing out closes it. Sign out?');
    click(byTestId(w.root, 'signout-no'));
    await settle();
    expect(w.root.querySelector('[data-testid="signout-confirm"]')).toBeNull();
    expect(w.app.Logout).not.toHaveBeenCalled();
    click(byTestId(w.root, 'signout'));
    await settle();
    w.app.Logout.mockResolvedValueOnce(ui(status({ signed_in: false, user: null, networks: [] })));
    click(byTestId(w.root, 'signout-yes'));
    await settle();
    expect(w.app.Logout).toHaveBeenCalledOnce();
    expect(byTestId(w.root, 'signin')).toBeTruthy();
  });

  it('signs out at once when no tunnel is up', async () => {
    const w = await start(fakeBridge(ui(status({ networks: [net({ state: 'active', expires_at: new Date(NOW + 3600_000).toISOString() })] }))));
    click(byTestId(w.root, 'open-settings'));
    await settle();
    w.app.Logout.mockResolvedValueOnce(ui(status({ signed_in: false, user: null, networks: [] })));
    click(byTestId(w.root, 'signout'));
    await settle();
    expect(w.root.querySelector('[data-testid="signout-confirm"]')).toBeNull();
    expect(w.app.Logout).toHaveBeenCalledOnce();
  });

  it('"Request again" opens the dialog with the last reason', async () => {
    const denied = net({ state: 'request', request: req({ status: 'denied', reason: 'need the printer', note: 'not this week' }) });
    const w = await start(fakeBridge(ui(status({ networks: [denied] }))));
    const btn = byTestId(row(w.root, 'office-network'), 'request');
    expect(btn.textContent).toBe('Request again');
    click(btn);
    const dlg = byTestId(document.body, 'request-dialog');
    expect((byTestId(dlg, 'reason-input') as HTMLTextAreaElement).value).toBe('need the printer');
    click(byTestId(dlg, 'submit'));
    await settle();
    expect(w.app.Request).toHaveBeenCalledWith('office-network', 'need the printer', 0, '');
    // A network never requested starts empty.
    un?.();
    const fresh = await start();
    click(byTestId(row(fresh.root, 'office-network'), 'request'));
    expect((byTestId(document.body, 'reason-input') as HTMLTextAreaElement).value).toBe('');
  });

  it('shows the history of a network in its details, from the agent', async () => {
    const w = await start();
    click(byTestId(row(w.root, 'office-network'), 'details-toggle'));
    await settle();
    expect(w.app.History).toHaveBeenCalledWith('office-network');
    expect(row(w.root, 'office-network').querySelectorAll('[data-testid="history-item"]').length).toBe(2);
  });

  it('shows the proxies\' user name and password in the settings, as text', async () => {
    const alert = vi.fn();
    vi.stubGlobal('alert', alert);
    const w = await start(fakeBridge(ui(status({ proxy_auth: { username: 'gpk3x9q2m7ab', password: XSS } }))));
    click(byTestId(w.root, 'open-settings'));
    await settle();
    expect(byTestId(w.root, 'proxy-user').textContent).toBe('gpk3x9q2m7ab');
    expect(byTestId(w.root, 'proxy-password').textContent).toBe(XSS);
    expect(w.root.querySelector('img:not(.logo)')).toBeNull();
    expect(alert).not.toHaveBeenCalled();
  });

  it('refreshes on the button and on F5', async () => {
    const w = await start();
    click(byTestId(w.root, 'refresh'));
    await settle();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F5' }));
    await settle();
    expect(w.app.Refresh).toHaveBeenCalledTimes(2);
  });

  it('opens the Request dialog the tray asked for', async () => {
    const w = await start();
    w.open('office-network');
    await settle();
    w.emit(ui());
    await settle();
    expect(byTestId(document.body, 'request-dialog').textContent).toContain('office-network');
  });

  it('extends an active grant from its row: dialog, submit, the pending extension at once', async () => {
    const exp = new Date(NOW + 3600_000).toISOString();
    const grant = net({ state: 'active', expires_at: exp, max_extension_seconds: 6 * 3600, request: req({ status: 'approved', expires_at: exp }) });
    const w = await start(fakeBridge(ui(status({ networks: [grant] }))));
    click(byTestId(row(w.root, 'office-network'), 'extend'));
    const dlg = byTestId(document.body, 'extend-dialog');
    type(byTestId(dlg, 'reason-input') as HTMLTextAreaElement, 'the migration runs long');
    const sel = byTestId(dlg, 'duration') as HTMLSelectElement;
    sel.value = '7200';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    const ext = req({ id: 'x1', kind: 'extension', status: 'pending', duration_seconds: 7200, grant_id: 'r1' });
    w.app.Extend.mockResolvedValueOnce(ui(status({ networks: [{ ...grant, extension: ext }] })));
    click(byTestId(dlg, 'submit'));
    await settle();
    expect(w.app.Extend).toHaveBeenCalledWith('office-network', 'the migration runs long', 7200);
    expect(document.querySelector('[data-testid="extend-dialog"]')).toBeNull();
    expect(byTestId(row(w.root, 'office-network'), 'extension').textContent).toBe('Extension requested: +2h, pending');
    expect(row(w.root, 'office-network').querySelector('[data-testid="extend"]')).toBeNull();
  });

  it('breaks the glass: warning dialog, submit, active at once and marked', async () => {
    const w = await start(fakeBridge(ui(status({ networks: [net({ name: 'production-db', break_glass: { max_duration_seconds: 3600 } })] }))));
    click(byTestId(row(w.root, 'production-db'), 'break-glass'));
    const dlg = byTestId(document.body, 'break-glass-dialog');
    expect(byTestId(dlg, 'break-glass-warning').textContent).toContain('Every approver of production-db is alerted at once');
    type(byTestId(dlg, 'reason-input') as HTMLTextAreaElement, 'orders DB down');
    const exp = new Date(NOW + 3600_000).toISOString();
    const granted = net({ name: 'production-db', state: 'active', expires_at: exp, request: req({ status: 'approved', kind: 'break_glass', rule: 'break-glass', review_required: true, expires_at: exp }) });
    w.app.BreakGlass.mockResolvedValueOnce(ui(status({ networks: [granted] })));
    click(byTestId(dlg, 'submit'));
    await settle();
    expect(w.app.BreakGlass).toHaveBeenCalledWith('production-db', 'orders DB down', 3600);
    expect(document.querySelector('[data-testid="break-glass-dialog"]')).toBeNull();
    expect(row(w.root, 'production-db').dataset.state).toBe('active');
    expect(byTestId(row(w.root, 'production-db'), 'break-glass-badge')).toBeTruthy();
  });

  it('requests access for later: the row is scheduled, "Access starts in …"', async () => {
    const w = await start();
    click(byTestId(row(w.root, 'office-network'), 'request'));
    const dlg = byTestId(document.body, 'request-dialog');
    type(byTestId(dlg, 'reason-input') as HTMLTextAreaElement, 'night maintenance');
    click(byTestId(dlg, 'start-later'));
    const start0 = Date.parse('2026-11-23T11:10:00Z');
    const s = status();
    const scheduled = net({ state: 'scheduled', starts_at: new Date(start0).toISOString(), request: req({ status: 'approved', starts_at: new Date(start0).toISOString(), expires_at: new Date(start0 + 3600_000).toISOString() }) });
    w.app.Request.mockResolvedValueOnce(ui({ ...s, networks: [scheduled, ...s.networks.slice(1)] }));
    click(byTestId(dlg, 'submit'));
    await settle();
    const [, , , startsAt] = w.app.Request.mock.calls[0]!;
    expect(startsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    expect(row(w.root, 'office-network').dataset.state).toBe('scheduled');
    expect(byTestId(row(w.root, 'office-network'), 'starts-countdown').textContent).toMatch(/^Access starts in 2h (9|10)m$/);
  });

  it('opens the Extend dialog the tray asked for: the named grant, or the only one that may grow', async () => {
    const exp = new Date(NOW + 3600_000).toISOString();
    const grant = (id: string, name: string) => net({ id, name, state: 'active', expires_at: exp, max_extension_seconds: 3600 });
    const w = await start(fakeBridge(ui(status({ networks: [grant('n1', 'lab'), net({ id: 'n2', name: 'wiki', state: 'request' })] }))));
    w.openExtend('');
    await settle();
    w.emit(ui(status({ networks: [grant('n1', 'lab'), net({ id: 'n2', name: 'wiki', state: 'request' })] })));
    await settle();
    expect(byTestId(document.body, 'extend-dialog').textContent).toContain('Extend access to lab');
    un?.();
    // Asked before the UI listened (TakeOpenRequest), by name.
    const f = fakeBridge(ui(status({ networks: [grant('n1', 'lab'), grant('n3', 'zero-path')] })));
    f.app.TakeOpenRequest.mockResolvedValueOnce({ open: true, kind: 'extend', network: 'zero-path' });
    await start(f);
    f.emit(ui(status({ networks: [grant('n1', 'lab'), grant('n3', 'zero-path')] })));
    await settle();
    expect(byTestId(document.body, 'extend-dialog').textContent).toContain('Extend access to zero-path');
  });

  it('renders a denial note with markup as text', async () => {
    const alert = vi.fn();
    vi.stubGlobal('alert', alert);
    const w = await start(fakeBridge(ui(status({ networks: [net({ state: 'request', request: req({ status: 'denied', note: XSS, reason: XSS }) })] }))));
    expect(byTestId(w.root, 'note').textContent).toBe(XSS);
    expect(w.root.querySelector('img:not(.logo)')).toBeNull();
    expect(alert).not.toHaveBeenCalled();
  });
});

describe('the source', () => {
  it('never builds HTML from strings', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f)) files.push(p);
      }
    };
    walk(join(__dirname, '..'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write|\beval\(/);
    }
  });
});
