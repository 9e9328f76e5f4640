import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../bridge';
import { formatBytes, span } from '../format';
import type { AccessRequest, History, Network, RequestStatus, Status } from '../types';
import { CheckIcon, ChevronIcon } from './icons';
import { Approvals, AskedStart, BreakGlassBadge, canExtend, Extension, GrantInfo, Window } from './Policies';
import { ProxyAuthRows } from './ProxyAuthRows';
import { Ago, Countdown, StartCountdown } from './Time';

export { Ago, Countdown } from './Time';

/** What a row asks its parent to do. */
export interface RowActions {
  request(n: Network): void;
  cancel(n: Network): void;
  toggle(n: Network): void;
  release(n: Network): void;
  /** Opens the Extend dialog of an active grant. */
  extend(n: Network): void;
  /** Opens the Break glass dialog. */
  breakGlass(n: Network): void;
  /** Called while the details are open, to refresh the tunnel counters. */
  refreshDetails(): void;
  /** The user's latest requests on the network (for the details). */
  history(n: Network): Promise<History>;
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

/** The connect/disconnect switch. */
export function Toggle({ network, busy, onToggle }: { network: Network; busy: boolean; onToggle: () => void }) {
  const on = network.want_connected;
  const label = `${on ? 'Disconnect from' : 'Connect to'} ${network.name}`;
  return (
    <button
      type="button"
      role="switch"
      class={`switch${on ? ' on' : ''}${inFlight(network) || busy ? ' busy' : ''}`}
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

/** The tunnel is on its way up: being brought up, or up without the gateway's first handshake yet. */
function inFlight(n: Network): boolean {
  return n.tunnel_state === 'connecting' || n.tunnel_state === 'handshaking';
}

/** The connection's line under an active or standing network: "Connected" only once the gateway answered. */
function connectionText(n: Network): string {
  if (n.tunnel_state === 'connected') return n.address ? `Connected · ${n.address.replace(/\/32$|\/128$/, '')}` : 'Connected';
  if (inFlight(n)) return 'Connecting…';
  if (n.want_connected && (n.tunnel_state === 'retrying' || n.error)) return 'Not connected, retrying';
  return 'Not connected';
}

/** When a pending request was sent and what it asked for. */
function PendingMeta({ r }: { r: AccessRequest }) {
  return (
    <div class="pending-meta" data-testid="pending-meta">
      Sent <Ago at={r.requested_at} /> · {r.duration_seconds ? `asked for ${span(r.duration_seconds * 1000)}` : 'no duration asked'}
    </div>
  );
}

const STATUS_LABEL: Record<RequestStatus, string> = {
  pending: 'Pending',
  approved: 'Approved',
  denied: 'Denied',
  cancelled: 'Cancelled',
  expired: 'Expired',
  revoked: 'Revoked',
};

const KIND_LABEL: Record<string, string> = { extension: 'Extension', break_glass: 'Break-glass' };

/** The user's latest requests on a network, newest first: when, how long, why, and what came of it. */
function HistoryList({ n, actions }: { n: Network; actions: RowActions }) {
  const [hist, setHist] = useState<History | null>(null);
  const [error, setError] = useState('');
  // Loaded when the details open, and again when the latest request changes.
  const latest = n.request ? `${n.request.id}:${n.request.status}` : '';
  useEffect(() => {
    let live = true;
    actions.history(n).then(
      (h) => live && (setHist(h), setError('')),
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [n.id, latest]);
  return (
    <section class="history-box" aria-label="Your requests">
      <h3>Your requests</h3>
      {error ? (
        <div class="error" role="alert" data-testid="history-error">
          {error}
        </div>
      ) : hist === null ? (
        <p class="hint">Loading…</p>
      ) : hist.requests.length === 0 ? (
        <p class="hint" data-testid="history-empty">
          None yet.
        </p>
      ) : (
        <ol class="history" data-testid="history">
          {hist.requests.map((r) => {
            const secs = r.granted_seconds || r.duration_seconds || 0;
            return (
              <li key={r.id} data-testid="history-item" data-status={r.status}>
                <span class={`hstatus st-${r.status}`}>{STATUS_LABEL[r.status] ?? r.status}</span>
                {KIND_LABEL[r.kind] ? <span class="muted"> {KIND_LABEL[r.kind]}</span> : null} <Ago at={r.requested_at} />
                {secs ? <span class="muted"> · {span(secs * 1000)}</span> : null}
                {r.reason ? (
                  <div>
                    <q class="user-text">{r.reason}</q>
                  </div>
                ) : null}
                {r.note ? <div class="muted">Note: <q class="user-text">{r.note}</q></div> : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
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

/** A network's details: its connection (when it can have one) and the user's requests on it. */
function Details({ n, status, actions, busy }: { n: Network; status: Status; actions: RowActions; busy: string }) {
  return (
    <div class="details" data-testid="details">
      <GrantInfo n={n} />
      {n.state === 'active' || n.state === 'standing' ? <Connection n={n} status={status} actions={actions} busy={busy} /> : null}
      <HistoryList n={n} actions={actions} />
    </div>
  );
}

function Connection({ n, status, actions, busy }: { n: Network; status: Status; actions: RowActions; busy: string }) {
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
  const hs = n.tunnel?.last_handshake ?? '';
  const userMode = status.tunnel_mode === 'netstack';
  return (
    <div class="connection">
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
        <dd data-testid="handshake">{!n.connected ? 'Not connected' : hs ? <Ago at={hs} /> : 'Not yet'}</dd>
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
  const canConnect = n.state === 'active' || n.state === 'standing';
  const err = error || (n.want_connected ? n.error || '' : '');
  const detailsToggle = (
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
  );
  const breakGlass = n.break_glass ? (
    <button
      type="button"
      class="btn link danger-link"
      disabled={busy !== ''}
      onClick={() => actions.breakGlass(n)}
      title={`Emergency access to ${n.name} at once; every approver is alerted`}
      data-testid="break-glass"
    >
      Break glass…
    </button>
  ) : null;
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
          {n.state === 'active' ? <BreakGlassBadge r={n.request} /> : null}
        </div>
        <div class="row-action">
          {n.state === 'request' ? (
            <button
              type="button"
              class="btn primary"
              disabled={busy !== ''}
              onClick={() => actions.request(n)}
              title={n.request ? 'Request access again, with your last reason filled in' : undefined}
              data-testid="request"
            >
              {n.request ? 'Request again' : 'Request'}
            </button>
          ) : null}
          {n.state === 'pending' ? (
            <button type="button" class="btn" disabled={busy !== ''} onClick={() => actions.cancel(n)} data-testid="cancel">
              {busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
          {canConnect ? <Toggle network={n} busy={busy === 'connect' || busy === 'disconnect'} onToggle={() => actions.toggle(n)} /> : null}
        </div>
      </div>
      {n.description ? <div class="description user-text">{n.description}</div> : null}
      {n.state === 'pending' ? (
        <div class="pending" data-testid="pending">
          <span class="pending-label">Access request pending</span>
          {n.request ? <Approvals r={n.request} required={n.required_approvals} /> : null}
          {n.request ? <PendingMeta r={n.request} /> : null}
          {n.request ? <AskedStart r={n.request} /> : null}
          {n.request?.reason ? (
            <div class="reason">
              Your reason: <q class="user-text" data-testid="reason">{n.request.reason}</q>
            </div>
          ) : null}
        </div>
      ) : null}
      {n.state === 'scheduled' ? (
        <div class="scheduled" data-testid="scheduled">
          {n.starts_at ? <StartCountdown startsAt={n.starts_at} /> : <span class="countdown starts">Access scheduled</span>}
          <Window n={n} />
        </div>
      ) : null}
      {n.state === 'request' ? <Outcome n={n} status={status} /> : null}
      {n.state === 'active' ? <Extension n={n} /> : null}
      {canConnect ? (
        <div class="row-sub">
          {n.state === 'active' && n.expires_at ? <Countdown expiresAt={n.expires_at} /> : null}
          <span class={`conn${n.tunnel_state === 'connected' ? ' up' : ''}`} data-testid="connection" data-tunnel={n.tunnel_state}>
            {connectionText(n)}
          </span>
          {canExtend(n) ? (
            <button type="button" class="btn link" disabled={busy !== ''} onClick={() => actions.extend(n)} data-testid="extend">
              Extend…
            </button>
          ) : null}
          {detailsToggle}
        </div>
      ) : (
        <div class="row-sub">
          {breakGlass}
          {detailsToggle}
        </div>
      )}
      {open ? (
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
