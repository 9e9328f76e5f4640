import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Bridge } from '../bridge';
import { errorMessage } from '../bridge';
import { ClockContext, skewedClock } from '../clock';
import type { DialogKind, Network, Status, UIState } from '../types';
import { BreakGlassDialog } from './BreakGlassDialog';
import { ExtendDialog } from './ExtendDialog';
import { GearIcon, Logo, RefreshIcon } from './icons';
import { NetworkRow, type RowActions } from './NetworkRow';
import { canExtend } from './Policies';
import { RequestDialog } from './RequestDialog';
import { SettingsView } from './Settings';
import { SignIn } from './SignIn';

const initial: UIState = { agent: { connected: false, starting: true, error: '', socket: '' }, status: null };

/** The list of networks; tells the Go side once, with the names in the DOM, that it was shown. */
function NetworkList({ status, children, onShown }: { status: Status; children: preact.ComponentChildren; onShown(names: string[]): void }) {
  const ref = useRef<HTMLUListElement>(null);
  useEffect(() => {
    const names = Array.from(ref.current?.querySelectorAll('[data-network-name]') ?? []).map((el) => el.textContent ?? '');
    onShown(names);
  }, []);
  if (status.networks.length === 0) {
    return (
      <p class="empty" data-testid="empty">
        You are not a member of any network yet. Ask your administrator to add you.
      </p>
    );
  }
  return (
    <ul class="networks" ref={ref} aria-label="Networks" data-testid="networks" data-count={status.networks.length}>
      {children}
    </ul>
  );
}

let shownOnce = false;

/** The whole window. */
export function App({ bridge }: { bridge: Bridge }) {
  const [ui, setUI] = useState<UIState>(initial);
  const [skew, setSkew] = useState(0);
  const [view, setView] = useState<'list' | 'settings'>('list');
  const [dialog, setDialog] = useState<{ kind: DialogKind | 'break-glass'; id: string } | null>(null);
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState('');
  const [refreshing, setRefreshing] = useState(false);
  // A dialog the tray asked for, opened once its network is known.
  const pendingOpen = useRef<{ kind: DialogKind; name: string } | null>(null);

  const apply = useCallback((s: UIState) => {
    setUI(s);
    if (s.status?.server_time) {
      const t = Date.parse(s.status.server_time);
      if (Number.isFinite(t)) setSkew(t - Date.now());
    }
  }, []);

  // Follow the Go side: the state once, then every change (no polling).
  useEffect(() => {
    const offState = bridge.onState(apply);
    const offOpen = bridge.onOpenRequest((name) => {
      pendingOpen.current = { kind: 'request', name };
      setView('list');
    });
    const offExtend = bridge.onOpenExtend((name) => {
      pendingOpen.current = { kind: 'extend', name };
      setView('list');
    });
    bridge.app.State().then(apply, (e) => setNotice(errorMessage(e)));
    bridge.app.TakeOpenRequest().then(
      (o) => {
        if (o.open) pendingOpen.current = { kind: o.kind === 'extend' ? 'extend' : 'request', name: o.network };
      },
      () => undefined,
    );
    let t: ReturnType<typeof setTimeout> | undefined;
    const onResize = () => {
      clearTimeout(t);
      t = setTimeout(() => void bridge.app.WindowResized().catch(() => undefined), 600);
    };
    window.addEventListener('resize', onResize);
    return () => {
      offState();
      offOpen();
      offExtend();
      window.removeEventListener('resize', onResize);
    };
  }, [bridge, apply]);

  const status = ui.status;
  const signedIn = !!status?.signed_in;

  // A dialog asked for by the tray opens once the network is known: the
  // one named, or the only one it can be (else the list, to pick one).
  useEffect(() => {
    const want = pendingOpen.current;
    if (want === null || !status?.signed_in) return;
    pendingOpen.current = null;
    const fits = want.kind === 'extend' ? canExtend : (n: Network) => n.state === 'request';
    const candidates = status.networks.filter(fits);
    const n = want.name ? status.networks.find((x) => x.name === want.name || x.id === want.name) : candidates.length === 1 ? candidates[0] : undefined;
    if (n && fits(n)) setDialog({ kind: want.kind, id: n.id });
  });

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      apply(await bridge.app.Refresh());
      setNotice('');
    } catch (e) {
      setNotice(errorMessage(e));
    } finally {
      setRefreshing(false);
    }
  }, [bridge, apply]);

  // Keyboard: F5 / Ctrl+R refresh, Escape leaves the settings.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'F5' || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'r')) {
        e.preventDefault();
        if (signedIn) void refresh();
      } else if (e.key === 'Escape' && view === 'settings' && dialog === null) {
        setView('list');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [refresh, view, dialog, signedIn]);

  async function act(n: Network, kind: string, call: () => Promise<UIState>) {
    setBusy((b) => ({ ...b, [n.id]: kind }));
    setErrors((e) => ({ ...e, [n.id]: '' }));
    try {
      apply(await call());
    } catch (e) {
      setErrors((x) => ({ ...x, [n.id]: errorMessage(e) }));
    } finally {
      setBusy((b) => ({ ...b, [n.id]: '' }));
    }
  }

  const actions: RowActions = {
    request: (n) => setDialog({ kind: 'request', id: n.id }),
    extend: (n) => setDialog({ kind: 'extend', id: n.id }),
    breakGlass: (n) => setDialog({ kind: 'break-glass', id: n.id }),
    cancel: (n) => void act(n, 'cancel', () => bridge.app.Cancel(n.name)),
    toggle: (n) =>
      void (n.want_connected
        ? act(n, 'disconnect', () => bridge.app.Disconnect(n.name))
        : act(n, 'connect', () => bridge.app.Connect(n.name))),
    release: (n) => void act(n, 'release', () => bridge.app.Release(n.name)),
    refreshDetails: () => void bridge.app.Refresh().then(apply, () => undefined),
    history: (n) => bridge.app.History(n.name),
  };

  // A dialog's call succeeded: close it and clear the row's last error.
  const done = (n: Network) => {
    setErrors((x) => ({ ...x, [n.id]: '' }));
    setDialog(null);
  };

  const clock = useMemo(() => skewedClock(skew), [skew]);
  const dialogNet = dialog && status ? status.networks.find((n) => n.id === dialog.id) : undefined;
  const onShown = useCallback(
    (names: string[]) => {
      if (shownOnce) return;
      shownOnce = true;
      void bridge.app.Rendered(names).catch(() => undefined);
    },
    [bridge],
  );

  let body;
  if (!status || (!signedIn && !ui.agent.connected && ui.agent.error)) {
    body = (
      <main class="center" data-testid="starting">
        <Logo />
        {ui.agent.error ? (
          <div class="banner error" role="alert" data-testid="agent-error">
            {ui.agent.error}
          </div>
        ) : (
          <p class="hint" role="status">
            Starting Gatepass…
          </p>
        )}
      </main>
    );
  } else if (!signedIn) {
    body = (
      <SignIn
        ui={ui}
        onSignIn={async (server, email, password) => {
          apply(await bridge.app.Login(server, email, password));
          setView('list');
        }}
      />
    );
  } else if (view === 'settings') {
    body = (
      <SettingsView
        bridge={bridge}
        status={status}
        onState={apply}
        onSignOut={async () => {
          apply(await bridge.app.Logout());
          setView('list');
        }}
        onClose={() => setView('list')}
      />
    );
  } else {
    const who = status.user ? status.user.email : '';
    body = (
      <main class="list-view">
        <header class="top">
          <Logo />
          <div class="who">
            <h1>Gatepass</h1>
            <div class="sub" title={status.server}>
              {who}
              {who ? ' · ' : ''}
              {hostOf(status.server)}
            </div>
          </div>
          <button
            type="button"
            class={`icon-btn${refreshing ? ' spinning' : ''}`}
            onClick={() => void refresh()}
            aria-label="Refresh"
            title="Refresh (F5)"
            disabled={refreshing}
            data-testid="refresh"
          >
            <RefreshIcon />
          </button>
          <button type="button" class="icon-btn" onClick={() => setView('settings')} aria-label="Settings" title="Settings" data-testid="open-settings">
            <GearIcon />
          </button>
        </header>
        {!ui.agent.connected ? (
          <div class="banner error" role="alert" data-testid="agent-banner">
            {ui.agent.error || 'Reconnecting to the Gatepass agent…'}
          </div>
        ) : null}
        {ui.agent.connected && !status.backend_reachable ? (
          <div class="banner warn" role="alert" data-testid="unreachable">
            <strong>Can't reach the Gatepass server</strong> at {hostOf(status.server)}. Showing the last known state; access
            still ends on time. Retrying…
          </div>
        ) : null}
        {status.message ? (
          <div class="banner warn" role="status" data-testid="agent-message">
            {status.message}
          </div>
        ) : null}
        {notice ? (
          <div class="banner error" role="alert" data-testid="notice">
            {notice}
            <button type="button" class="btn link" onClick={() => setNotice('')}>
              Dismiss
            </button>
          </div>
        ) : null}
        <NetworkList status={status} onShown={onShown}>
          {status.networks.map((n) => (
            <NetworkRow key={n.id} network={n} status={status} actions={actions} busy={busy[n.id] ?? ''} error={errors[n.id] ?? ''} />
          ))}
        </NetworkList>
      </main>
    );
  }

  return (
    <ClockContext.Provider value={clock}>
      {body}
      {dialogNet && signedIn && dialog?.kind === 'request' ? (
        <RequestDialog
          key={dialogNet.id}
          network={dialogNet}
          initialReason={dialogNet.request?.reason ?? ''}
          onClose={() => setDialog(null)}
          onSubmit={async (reason, seconds, startsAt) => {
            apply(await bridge.app.Request(dialogNet.name, reason, seconds, startsAt));
            done(dialogNet);
          }}
        />
      ) : null}
      {dialogNet && signedIn && dialog?.kind === 'extend' ? (
        <ExtendDialog
          key={dialogNet.id}
          network={dialogNet}
          onClose={() => setDialog(null)}
          onSubmit={async (reason, seconds) => {
            apply(await bridge.app.Extend(dialogNet.name, reason, seconds));
            done(dialogNet);
          }}
        />
      ) : null}
      {dialogNet && signedIn && dialog?.kind === 'break-glass' ? (
        <BreakGlassDialog
          key={dialogNet.id}
          network={dialogNet}
          onClose={() => setDialog(null)}
          onSubmit={async (reason, seconds) => {
            apply(await bridge.app.BreakGlass(dialogNet.name, reason, seconds));
            done(dialogNet);
          }}
        />
      ) : null}
    </ClockContext.Provider>
  );
}

/** The host of a server URL, for the header. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** For tests: forget that the list was shown. */
export function resetShown(): void {
  shownOnce = false;
}
