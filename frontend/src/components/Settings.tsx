import { useEffect, useState } from 'preact/hooks';
import type { Bridge } from '../bridge';
import { errorMessage } from '../bridge';
import type { Settings as WindowSettings, Status, UIState } from '../types';
import { DevicesSection } from './Devices';
import { BackIcon } from './icons';
import { ProxyAuthRows } from './ProxyAuthRows';

export interface SettingsProps {
  bridge: Bridge;
  status: Status;
  onState(s: UIState): void;
  onSignOut(): Promise<void>;
  onClose(): void;
}

/** Settings: the server and account, connect on approval, start at login, this device, the user's devices, sign out. */
export function SettingsView({ bridge, status, onState, onSignOut, onClose }: SettingsProps) {
  const [settings, setSettings] = useState<WindowSettings | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');
  const [confirmSignOut, setConfirmSignOut] = useState(false);
  // Signing out closes every tunnel: with some up, it asks first.
  const up = status.networks.filter((n) => n.connected);

  useEffect(() => {
    bridge.app.Settings().then(setSettings, (e) => setError(errorMessage(e)));
  }, [bridge]);

  async function run(key: string, fn: () => Promise<void>) {
    setBusy(key);
    setError('');
    try {
      await fn();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy('');
    }
  }

  return (
    <main class="settings" data-testid="settings" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div class="view-head">
        <button type="button" class="icon-btn" onClick={onClose} aria-label="Back to networks" title="Back (Esc)">
          <BackIcon />
        </button>
        <h1>Settings</h1>
      </div>
      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}
      <section>
        <h2>Account</h2>
        <dl class="kv">
          <dt>Server</dt>
          <dd class="mono" data-testid="settings-server">{status.server}</dd>
          <dt>Signed in as</dt>
          <dd>{status.user ? `${status.user.name || status.user.email} (${status.user.email})` : '—'}</dd>
        </dl>
        {confirmSignOut ? (
          <div class="confirm" role="group" aria-label="Sign out" data-testid="signout-confirm">
            <span>
              {up.length === 1 ? `Your tunnel to ${up[0]!.name} is up` : `Your tunnels to ${up.map((n) => n.name).join(', ')} are up`}: signing out closes{' '}
              {up.length === 1 ? 'it' : 'them'}. Sign out?
            </span>
            <button
              type="button"
              class="btn danger small"
              disabled={busy !== ''}
              onClick={() => run('signout', onSignOut)}
              data-testid="signout-yes"
            >
              {busy === 'signout' ? 'Signing out…' : 'Sign out'}
            </button>
            <button type="button" class="btn small" disabled={busy !== ''} onClick={() => setConfirmSignOut(false)} data-testid="signout-no">
              Stay signed in
            </button>
          </div>
        ) : (
          <button
            type="button"
            class="btn"
            disabled={busy !== ''}
            onClick={() => (up.length > 0 ? setConfirmSignOut(true) : void run('signout', onSignOut))}
            data-testid="signout"
          >
            {busy === 'signout' ? 'Signing out…' : 'Sign out'}
          </button>
        )}
      </section>
      <section>
        <h2>Behaviour</h2>
        <label class="check">
          <input
            type="checkbox"
            checked={status.prefs.connect_on_approval}
            disabled={busy !== ''}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              void run('prefs', async () => onState(await bridge.app.SetConnectOnApproval(on)));
            }}
            data-testid="connect-on-approval"
          />
          <span>
            Connect automatically when access is approved
          </span>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={settings?.start_at_login ?? false}
            disabled={busy !== '' || !settings?.start_at_login_supported}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              void run('login', async () => setSettings(await bridge.app.SetStartAtLogin(on)));
            }}
            data-testid="start-at-login"
          />
          <span>
            Start Gatepass at login (in the tray)
            {settings?.start_at_login_path ? <small class="hint block mono">{settings.start_at_login_path}</small> : null}
          </span>
        </label>
      </section>
      <section>
        <h2>This device</h2>
        <dl class="kv">
          <dt>Tunnel</dt>
          <dd>{status.tunnel_mode === 'netstack' ? 'User mode (local proxies, no administrator rights)' : 'System tunnel'}</dd>
          {status.tunnel_mode === 'netstack' ? (
            <>
              <dt>SOCKS5 proxy</dt>
              <dd class="mono">{status.socks5 || '—'}</dd>
              <dt>HTTP proxy</dt>
              <dd class="mono">{status.http_proxy || '—'}</dd>
              <ProxyAuthRows status={status} />
            </>
          ) : null}
          <dt>Device</dt>
          <dd>{status.device?.name || '—'}</dd>
          <dt>Public key</dt>
          <dd class="mono wrap">{status.device?.public_key || '—'}</dd>
        </dl>
      </section>
      <DevicesSection bridge={bridge} onState={onState} />
      <section>
        <h2>About</h2>
        <dl class="kv">
          <dt>Version</dt>
          <dd>{settings?.version ?? ''}</dd>
          <dt>Agent log</dt>
          <dd class="mono wrap">{settings?.agent_log || '—'}</dd>
        </dl>
      </section>
    </main>
  );
}
