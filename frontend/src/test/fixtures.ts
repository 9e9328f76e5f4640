import { vi } from 'vitest';
import type { AppMethods, Bridge } from '../bridge';
import type { AccessRequest, AccountDevice, DeviceList, History, Network, OpenRequest, Status, UIState } from '../types';

export const NOW = Date.parse('2026-11-23T09:00:00Z');
export const XSS = '<img src=x onerror=alert(1)>';

export function req(over: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'r1',
    network_id: 'n1',
    network_name: 'office-network',
    user_id: 'u1',
    user_email: 'contractor@example.com',
    user_name: 'Contractor',
    status: 'pending',
    reason: 'fix the build server',
    requested_at: new Date(NOW - 5 * 60_000).toISOString(),
    decided_at: null,
    decided_by: '',
    note: '',
    expires_at: null,
    kind: 'access',
    starts_at: null,
    approvals: [],
    required_approvals: 1,
    rule: '',
    review_required: false,
    user_service: false,
    ...over,
  };
}

export function net(over: Partial<Network> = {}): Network {
  return {
    id: 'n1',
    name: 'office-network',
    description: '',
    jit_enabled: true,
    state: 'request',
    connected: false,
    connecting: false,
    tunnel_state: 'off',
    want_connected: false,
    expires_at: null,
    request: null,
    address: '',
    tunnel: null,
    default_duration_seconds: 8 * 3600,
    max_duration_seconds: 30 * 86400,
    starts_at: null,
    extension: null,
    max_extension_seconds: 0,
    required_approvals: 1,
    break_glass: null,
    ...over,
  };
}

/** The product description's example: office-network (Request), staging-internal (pending), zero-path (active, 29d 23h). */
export function demoNetworks(): Network[] {
  const exp = new Date(NOW + 30 * 86400_000 - 1000).toISOString();
  return [
    net({ id: 'n1', name: 'office-network', state: 'request' }),
    net({ id: 'n2', name: 'staging-internal', state: 'pending', request: req({ id: 'r2', network_id: 'n2', status: 'pending' }) }),
    net({
      id: 'n3',
      name: 'zero-path',
      state: 'active',
      expires_at: exp,
      want_connected: true,
      connected: true,
      tunnel_state: 'connected',
      address: '10.77.0.2/32',
      tunnel: { last_handshake: new Date(NOW - 12_000).toISOString(), rx_bytes: 1500, tx_bytes: 512 },
      request: req({ id: 'r3', network_id: 'n3', status: 'approved', expires_at: exp, decided_at: new Date(NOW).toISOString() }),
    }),
  ];
}

export function status(over: Partial<Status> = {}): Status {
  return {
    signed_in: true,
    server: 'https://gatepass.example.com',
    user: { id: 'u1', email: 'contractor@example.com', name: 'Contractor', role: 'user', disabled: false, service: false, created_at: new Date(NOW).toISOString() },
    networks: demoNetworks(),
    socks5: '127.0.0.1:41080',
    http_proxy: '127.0.0.1:41081',
    proxy_auth: null,
    socks5_url: 'socks5h://127.0.0.1:41080',
    http_proxy_url: 'http://127.0.0.1:41081',
    tunnel_mode: 'netstack',
    backend_reachable: true,
    clock_offset_ms: 0,
    server_time: new Date(NOW).toISOString(),
    prefs: { connect_on_approval: true },
    device: { id: 'd1', name: 'laptop', public_key: 'AAAA' },
    ...over,
  };
}

export function dev(over: Partial<AccountDevice> = {}): AccountDevice {
  return {
    id: 'd1',
    name: 'laptop',
    public_key: 'AAAA',
    addresses: { n1: '10.77.0.2/32' },
    created_at: '2026-11-02T10:00:00Z',
    last_seen_at: new Date(NOW - 5 * 60_000).toISOString(),
    current: false,
    ...over,
  };
}

/** This device (laptop, seen 5 min ago), an old desktop never seen, a hostile name. */
export function devices(): DeviceList {
  return {
    devices: [
      dev({ id: 'd2', name: 'old-desktop', created_at: '2026-10-01T08:00:00Z', last_seen_at: null }),
      dev({ id: 'd1', name: 'laptop', current: true }),
      dev({ id: 'd3', name: XSS, last_seen_at: new Date(NOW - 3 * 86400_000).toISOString() }),
    ],
    server_time: new Date(NOW).toISOString(),
  };
}

/** The user's requests on a network: a denied one, then an expired grant. */
export function history(): History {
  return {
    requests: [
      req({ id: 'r9', status: 'denied', reason: 'need the printer ' + XSS, note: 'not this week', duration_seconds: 8 * 3600, requested_at: new Date(NOW - 2 * 86400_000).toISOString() }),
      req({ id: 'r8', status: 'expired', reason: 'deploy', granted_seconds: 3600, requested_at: new Date(NOW - 9 * 86400_000).toISOString() }),
    ],
    server_time: new Date(NOW).toISOString(),
  };
}

export function ui(s: Status | null = status()): UIState {
  return { agent: { connected: true, starting: false, error: '', socket: '/run/gatepass.sock' }, status: s };
}

/** A bridge whose methods are spies; emit() sends a "state" event. */
export function fakeBridge(initial: UIState = ui()) {
  let stateCb: ((s: UIState) => void) | null = null;
  let openCb: ((n: string) => void) | null = null;
  let extendCb: ((n: string) => void) | null = null;
  const cur = { value: initial };
  const ok = () => Promise.resolve(cur.value);
  const app = {
    State: vi.fn(ok),
    Refresh: vi.fn(ok),
    Login: vi.fn(ok),
    Logout: vi.fn(ok),
    Request: vi.fn((_n: string, _r: string, _d: number, _s: string) => ok()),
    Extend: vi.fn((_n: string, _r: string, _d: number) => ok()),
    BreakGlass: vi.fn((_n: string, _r: string, _d: number) => ok()),
    Cancel: vi.fn(ok),
    Connect: vi.fn(ok),
    Disconnect: vi.fn(ok),
    Release: vi.fn(ok),
    History: vi.fn((_network: string) => Promise.resolve(history())),
    SetConnectOnApproval: vi.fn(ok),
    Settings: vi.fn(() =>
      Promise.resolve({ start_at_login: false, start_at_login_supported: true, start_at_login_path: '/home/u/.config/autostart/gatepass.desktop', version: 'test', agent_log: '/tmp/gatepassd.log' }),
    ),
    SetStartAtLogin: vi.fn((on: boolean) =>
      Promise.resolve({ start_at_login: on, start_at_login_supported: true, start_at_login_path: '', version: 'test', agent_log: '' }),
    ),
    Devices: vi.fn(() => Promise.resolve(devices())),
    RemoveDevice: vi.fn((_id: string) => Promise.resolve(cur.value)),
    Rendered: vi.fn(() => Promise.resolve()),
    WindowResized: vi.fn(() => Promise.resolve()),
    TakeOpenRequest: vi.fn((): Promise<OpenRequest> => Promise.resolve({ open: false, kind: 'request', network: '' })),
    Quit: vi.fn(() => Promise.resolve()),
  } satisfies AppMethods;
  const bridge: Bridge = {
    app,
    onState: (cb) => {
      stateCb = cb;
      return () => (stateCb = null);
    },
    onOpenRequest: (cb) => {
      openCb = cb;
      return () => (openCb = null);
    },
    onOpenExtend: (cb) => {
      extendCb = cb;
      return () => (extendCb = null);
    },
  };
  return {
    bridge,
    app,
    cur,
    emit(s: UIState) {
      cur.value = s;
      stateCb?.(s);
    },
    open(name: string) {
      openCb?.(name);
    },
    openExtend(name: string) {
      extendCb?.(name);
    },
  };
}
