import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Bridge } from '../bridge';
import { errorMessage } from '../bridge';
import { ago, formatDate } from '../format';
import type { AccountDevice, DeviceList, UIState } from '../types';

export interface DevicesProps {
  bridge: Bridge;
  /** Takes the state a removal returns (signed out when it was this device). */
  onState(s: UIState): void;
}

/** This device first, the others in the backend's order. */
function ordered(list: DeviceList): AccountDevice[] {
  return [...list.devices.filter((d) => d.current), ...list.devices.filter((d) => !d.current)];
}

function lastSeen(d: AccountDevice, now: number): string {
  if (!d.last_seen_at) return 'never';
  const t = Date.parse(d.last_seen_at);
  return Number.isFinite(t) ? ago(now - t) : 'never';
}

/**
 * The user's devices in Settings: name, added, last seen, this one marked;
 * each can be removed after a confirm step. Removing this device signs this
 * computer out (the agent does it; the window then shows the sign-in with
 * the agent's message). Names are shown as text, never as markup.
 */
export function DevicesSection({ bridge, onState }: DevicesProps) {
  const [list, setList] = useState<DeviceList | null>(null);
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState<string | null>(null);
  const [busy, setBusy] = useState('');

  const load = useCallback(async () => {
    try {
      setList(await bridge.app.Devices());
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [bridge]);

  useEffect(() => {
    void load();
  }, [load]);

  async function remove(d: AccountDevice) {
    setBusy(d.id);
    setError('');
    try {
      const s = await bridge.app.RemoveDevice(d.id);
      setConfirm(null);
      onState(s);
      if (!d.current) await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy('');
    }
  }

  const now = list ? Date.parse(list.server_time) : 0;
  return (
    <section data-testid="devices">
      <h2>Devices</h2>
      <p class="hint">The computers signed in to your account. Remove one you no longer use: its connections end at once.</p>
      {error ? (
        <div class="error" role="alert" data-testid="devices-error">
          {error}{' '}
          <button type="button" class="btn link" onClick={() => void load()}>
            Try again
          </button>
        </div>
      ) : null}
      {list === null && !error ? <p class="hint">Loading your devices…</p> : null}
      {list && list.devices.length === 0 ? <p class="hint">No devices.</p> : null}
      {list && list.devices.length > 0 ? (
        <ul class="devices" aria-label="Your devices">
          {ordered(list).map((d) => (
            <li key={d.id} class="device" data-device={d.id} data-testid="device">
              <div class="device-head">
                <span class="device-name wrap" data-testid="device-name">
                  {d.name}
                </span>
                {d.current ? (
                  <span class="badge" data-testid="this-device">
                    This device
                  </span>
                ) : null}
                {confirm !== d.id ? (
                  <button
                    type="button"
                    class="btn small device-remove"
                    disabled={busy !== ''}
                    onClick={() => setConfirm(d.id)}
                    aria-label={`Remove ${d.name}`}
                    data-testid="remove"
                  >
                    Remove…
                  </button>
                ) : null}
              </div>
              <div class="hint device-meta" data-testid="device-meta">
                Added {formatDate(d.created_at)} · Last seen {lastSeen(d, now)}
              </div>
              {confirm === d.id ? (
                <div class="confirm" role="group" aria-label={`Remove ${d.name}`} data-testid="confirm">
                  <span data-testid="confirm-text">
                    {d.current
                      ? 'Remove this device? You will be signed out of Gatepass on this computer and its connections end now.'
                      : `Remove “${d.name}”? Its connections end now and it must sign in again to be used.`}
                  </span>
                  <button type="button" class="btn danger small" disabled={busy !== ''} onClick={() => void remove(d)} data-testid="confirm-remove">
                    {busy === d.id ? 'Removing…' : d.current ? 'Remove and sign out' : 'Remove'}
                  </button>
                  <button type="button" class="btn small" disabled={busy !== ''} onClick={() => setConfirm(null)} data-testid="keep">
                    Keep
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
