import { useContext, useEffect, useState } from 'preact/hooks';
import { ClockContext } from '../clock';
import { expiresText, formatAgo, formatBytes, nextChange } from '../format';
import { ticker } from '../ticker';
import type { Network, Status } from '../types';
import { CheckIcon, ChevronIcon } from './icons';
import { ProxyAuthRows } from './ProxyAuthRows';

/** What a row asks its parent to do. */
export interface RowActions {
  request(n: Network): void;
  cancel(n: Network): void;
  toggle(n: Network): void;
  release(n: Network): void;
  /** Called while the details are open, to refresh the tunnel counters. */
  refreshDetails(): void;
}

export interface RowProps {
  network: Network;
  status: Status;
  actions: RowActions;
  /** The action in flight on this network ('' when none). */
  busy: string;
  /** The last action's error on this network ('' when none). */
  error: string;
}

/** A live "Access expires in 29d 23h", redrawn by the shared ticker only when its text changes. */
export function Countdown({ expiresAt }: { expiresAt: string }) {
  const clock = useContext(ClockContext);
  const exp = Date.parse(expiresAt);
  const [text, setText] = useState(() => expiresText(exp - clock.now()));
  useEffect(() => {
    const update = () => setText(expiresText(exp - clock.now()));
    update();
    return ticker.subscribe(() => nextChange(exp - clock.now()), update);
  }, [exp, clock]);
  return (
    <span class="countdown" role="timer" data-testid="countdown">
      {text}
    </span>
  );
}

/** The connect/disconnect switch. */
export function Toggle({ network, busy, onToggle }: { network: Network; busy: boolean; onToggle: () => void }) {
  const on = network.want_connected;
  const label = `${on ? 'Disconnect from' : 'Connect to'} ${network.name}`;
  return (
    <button
      type="button"
      role="switch"
      class={`switch${on ? ' on' : ''}${network.connecting || busy ? ' busy' : ''}`}
      aria-checked={on}
      aria-label={label}
      title={label}
      disabled={busy}
      onClick={onToggle}
      data-testid="toggle"
    >
      <span class="knob" />
    </button>
  );
}

/** The connection's line under an active or standing network. */
function connectionText(n: Network): string {
  if (n.connected) return n.address ? `Connected · ${n.address.replace(/\/32$|\/128$/, '')}` : 'Connected';
  if (n.connecting) return 'Connecting…';
  if (n.want_connected && n.error) return 'Not connected, retrying';
  return 'Not connected';
}

/** Why the last request did not lead to access (denied, revoked, expired), for a row back in the request state. */
function Outcome({ n, status }: { n: Network; status: Status }) {
  const r = n.request;
  if (!r) return null;
  switch (r.status) {
    case 'denied':
      return (
        <div class="outcome denied" data-testid="outcome">
          <strong>Request denied.</strong>
          {r.note ? (
            <span>
              {' '}
              Note from the admin: <q class="user-text" data-testid="note">{r.note}</q>
            </span>
          ) : (
            <span> You can request again with more detail.</span>
          )}
        </div>
      );
    case 'revoked':
      // ended_by is who ended it (the API gives the email; an id is accepted too).
      if (status.user && r.ended_by && (r.ended_by === status.user.email || r.ended_by === status.user.id)) {
        return (
          <div class="outcome muted" data-testid="outcome">
            You released your access.
          </div>
        );
      }
      return (
        <div class="outcome denied" data-testid="outcome">
          <strong>Access revoked by an admin.</strong>
          {r.note ? (
            <span>
              {' '}
              Note: <q class="user-text" data-testid="note">{r.note}</q>
            </span>
          ) : null}
        </div>
      );
    case 'expired':
      return (
        <div class="outcome muted" data-testid="outcome">
          {r.decided_at ? 'Your access expired.' : 'Your request expired without an answer.'}
        </div>
      );
  }
  return null;
}

function Details({ n, status, actions, busy }: { n: Network; status: Status; actions: RowActions; busy: string }) {
  const clock = useContext(ClockContext);
  const [confirm, setConfirm] = useState(false);
  // The tunnel counters are not part of the watch stream (the agent sends
  // changes, not traffic): while the details are open and visible they are
  // refreshed every 2 s.
  useEffect(() => {
    if (!n.connected) return undefined;
    const id = setInterval(() => {
      if (document.visibilityState !== 'hidden') actions.refreshDetails();
    }, 2000);
    return () => clearInterval(id);
  }, [n.connected]);
  const hs = n.tunnel?.last_handshake ? Date.parse(n.tunnel.last_handshake) : 0;
  const userMode = status.tunnel_mode === 'netstack';
  return (
    <div class="details" data-testid="details">
      <dl>
        <dt>Address</dt>
        <dd class="mono">{n.address || '—'}</dd>
        {userMode ? (
          <>
            <dt>SOCKS5 proxy</dt>
            <dd class="mono" data-testid="socks5">{status.socks5 || '—'}</dd>
            <dt>HTTP proxy</dt>
            <dd class="mono" data-testid="http-proxy">{status.http_proxy || '—'}</dd>
            <ProxyAuthRows status={status} />
          </>
        ) : null}
        <dt>Last handshake</dt>
        <dd>{!n.connected ? 'Not connected' : hs ? formatAgo(Math.max(0, clock.now() - hs)) : 'Not yet'}</dd>
        <dt>Received</dt>
        <dd>{formatBytes(n.tunnel?.rx_bytes ?? 0)}</dd>
        <dt>Sent</dt>
        <dd>{formatBytes(n.tunnel?.tx_bytes ?? 0)}</dd>
      </dl>
      {userMode ? (
        <p class="hint" data-testid="proxy-hint">
          User mode: apps reach {n.name} through the proxies above (no administrator rights needed).{' '}
          {status.proxy_auth ? (
            <>
              They ask for the user name and password above, e.g.{' '}
              <span class="mono wrap" data-testid="socks5-url">
                ALL_PROXY={status.socks5_url}
              </span>
            </>
          ) : (
            'Only your user account can use them.'
          )}
        </p>
      ) : null}
      {n.state === 'active' ? (
        confirm ? (
          <div class="confirm" role="group" aria-label="Release access">
            <span>Give up your access to {n.name} now?</span>
            <button type="button" class="btn danger small" disabled={busy !== ''} onClick={() => actions.release(n)}>
              Release
            </button>
            <button type="button" class="btn small" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </div>
        ) : (
          <button type="button" class="btn link" onClick={() => setConfirm(true)}>
            Release access early…
          </button>
        )
      ) : null}
    </div>
  );
}

/** One network, shown as the product description says for its state. */
export function NetworkRow({ network: n, status, actions, busy, error }: RowProps) {
  const [open, setOpen] = useState(false);
  const detailsId = `details-${n.id}`;
  const canDetail = n.state === 'active' || n.state === 'standing';
  const err = error || (n.want_connected ? n.error || '' : '');
  return (
    <li class={`row state-${n.state}`} data-testid="network" data-network={n.name} data-state={n.state}>
      <div class="row-main">
        <div class="row-title">
          {n.state === 'active' ? (
            <span class="ok" title="Access approved">
              <CheckIcon />
              <span class="sr-only">Access approved: </span>
            </span>
          ) : null}
          <span class="name" data-network-name>
            {n.name}
          </span>
        </div>
        <div class="row-action">
          {n.state === 'request' ? (
            <button type="button" class="btn primary" disabled={busy !== ''} onClick={() => actions.request(n)} data-testid="request">
              Request
            </button>
          ) : null}
          {n.state === 'pending' ? (
            <button type="button" class="btn" disabled={busy !== ''} onClick={() => actions.cancel(n)} data-testid="cancel">
              {busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
          {canDetail ? <Toggle network={n} busy={busy === 'connect' || busy === 'disconnect'} onToggle={() => actions.toggle(n)} /> : null}
        </div>
      </div>
      {n.description ? <div class="description user-text">{n.description}</div> : null}
      {n.state === 'pending' ? (
        <div class="pending" data-testid="pending">
          <span class="pending-label">Access request pending</span>
          {n.request?.reason ? (
            <div class="reason">
              Your reason: <q class="user-text" data-testid="reason">{n.request.reason}</q>
            </div>
          ) : null}
        </div>
      ) : null}
      {n.state === 'request' ? <Outcome n={n} status={status} /> : null}
      {canDetail ? (
        <div class="row-sub">
          {n.state === 'active' && n.expires_at ? <Countdown expiresAt={n.expires_at} /> : null}
          <span class={`conn${n.connected ? ' up' : ''}`} data-testid="connection">
            {connectionText(n)}
          </span>
          <button
            type="button"
            class="btn link details-toggle"
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={() => setOpen(!open)}
            data-testid="details-toggle"
          >
            Details <ChevronIcon open={open} />
          </button>
        </div>
      ) : null}
      {canDetail && open ? (
        <div id={detailsId}>
          <Details n={n} status={status} actions={actions} busy={busy} />
        </div>
      ) : null}
      {err ? (
        <div class="error" role="alert" data-testid="row-error">
          {err}
        </div>
      ) : null}
    </li>
  );
}
