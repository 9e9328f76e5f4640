// Wire types of the window: what the Go App (desktop/app.go) returns and
// emits. They mirror desktop/internal/localapi (types.go) and
// shared/api (api.go) field by field: JSON is snake_case, times are RFC 3339
// strings, absent times are null. A Go test (desktop/types_test.go) checks
// every interface and union here against the Go types and constants: a
// name that drifts on either side fails it.

/** scheduled: approved for a window that starts later (starts_at); active from then. */
export type NetworkState = 'request' | 'pending' | 'scheduled' | 'active' | 'standing';

/** What a request asks for: access, more time on a grant, or emergency access. */
export type RequestKind = 'access' | 'extension' | 'break_glass';

/** The dialogs the tray may ask the window to open. */
export type DialogKind = 'request' | 'extend';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired' | 'revoked';

export type Role = 'admin' | 'user';

/**
 * Where a network's tunnel is on this device (the agent's state machine):
 * "connected" only once the gateway answered the first WireGuard handshake.
 */
export type TunnelState = 'off' | 'connecting' | 'handshaking' | 'connected' | 'retrying';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  /** A non-human account (a CI runner) that signs in with an API token. */
  service: boolean;
  created_at: string;
}

/** One approver's approval of a request that needs several (shared/api.Approval). */
export interface Approval {
  user_id: string;
  /** The approver's email. */
  by: string;
  at: string;
  duration_seconds: number;
}

/** That the user may take emergency access on a network, and for how long at most (shared/api.MyBreakGlass). */
export interface BreakGlass {
  max_duration_seconds: number;
}

/** An access request (shared/api.Request). */
export interface AccessRequest {
  id: string;
  network_id: string;
  network_name: string;
  user_id: string;
  user_email: string;
  user_name: string;
  status: RequestStatus;
  reason: string;
  duration_seconds?: number;
  granted_seconds?: number;
  requested_at: string;
  decided_at: string | null;
  decided_by: string;
  note: string;
  expires_at: string | null;
  ended_at?: string | null;
  ended_by?: string;
  /** The closed request an admin granted this one again from, or "". */
  again_of?: string;
  kind: RequestKind;
  /** When a scheduled grant starts; null: at approval. */
  starts_at: string | null;
  /** The approvals so far ("1 of 2" while pending). */
  approvals: Approval[];
  required_approvals: number;
  /** The rule that approved it ("on-call", or "break-glass"); "" when people decided. */
  rule: string;
  /** For an extension: the grant it extends. */
  grant_id?: string;
  /** A break-glass grant no approver has acknowledged yet. */
  review_required: boolean;
  reviewed_at?: string | null;
  reviewed_by?: string;
  user_service: boolean;
}

/** A running tunnel's counters (localapi.TunnelStats). */
export interface TunnelStats {
  last_handshake: string | null;
  rx_bytes: number;
  tx_bytes: number;
}

/** One network as the desktop shows it (localapi.Network). */
export interface Network {
  id: string;
  name: string;
  description: string;
  jit_enabled: boolean;
  state: NetworkState;
  /** The tunnel is up (handshaking or connected). */
  connected: boolean;
  /** The tunnel is being brought up. */
  connecting: boolean;
  tunnel_state: TunnelState;
  want_connected: boolean;
  expires_at: string | null;
  request: AccessRequest | null;
  address: string;
  tunnel: TunnelStats | null;
  default_duration_seconds: number;
  max_duration_seconds: number;
  error?: string;
  /** When access starts: a scheduled grant's start, or a pending request's wished one. */
  starts_at: string | null;
  /** The latest extension request of the active grant ("Extension requested: +2h, pending"). */
  extension: AccessRequest | null;
  /** How much longer the active grant may become; 0 when it cannot. */
  max_extension_seconds: number;
  /** How many approvers must approve a request here. */
  required_approvals: number;
  /** Set when the user may break the glass here now. */
  break_glass: BreakGlass | null;
}

export interface Prefs {
  connect_on_approval: boolean;
}

/** The local proxies' user name and password (localapi.ProxyAuth). */
export interface ProxyAuth {
  username: string;
  password: string;
}

export interface Device {
  id: string;
  name: string;
  public_key: string;
}

/** One of the user's devices as the backend lists it (shared/api.Device). */
export interface AccountDevice {
  id: string;
  name: string;
  public_key: string;
  /** Network id → this device's address in it. */
  addresses: Record<string, string>;
  created_at: string;
  last_seen_at: string | null;
  /** The device of this computer ("This device"). */
  current: boolean;
}

/** The user's devices (localapi.Devices). */
export interface DeviceList {
  devices: AccountDevice[];
  /** The server's clock when listed: what last_seen_at compares to. */
  server_time: string;
}

/** The user's latest requests on one network, newest first (localapi.History). */
export interface History {
  requests: AccessRequest[];
  /** The server's clock when listed: what requested_at compares to. */
  server_time: string;
}

/** The agent's status (localapi.Status). */
export interface Status {
  signed_in: boolean;
  server: string;
  user: User | null;
  networks: Network[];
  socks5: string;
  http_proxy: string;
  /** What both proxies ask for; null when they ask nothing (Linux: only this user and root may connect). */
  proxy_auth: ProxyAuth | null;
  /** The proxies as URLs for apps, with the credentials when there are ('' in TUN mode). */
  socks5_url: string;
  http_proxy_url: string;
  tunnel_mode: 'netstack' | 'tun' | string;
  backend_reachable: boolean;
  clock_offset_ms: number;
  server_time: string;
  prefs: Prefs;
  device: Device | null;
  message?: string;
}

/** Whether the window follows a running agent (main.AgentInfo). */
export interface AgentInfo {
  connected: boolean;
  starting: boolean;
  error: string;
  socket: string;
}

/** Everything the window shows (main.UIState), sent on every change. */
export interface UIState {
  agent: AgentInfo;
  status: Status | null;
}

/** The window's own settings (main.Settings). */
export interface Settings {
  start_at_login: boolean;
  start_at_login_supported: boolean;
  start_at_login_path: string;
  version: string;
  agent_log: string;
}

/** A dialog asked for by the tray (main.OpenRequest). */
export interface OpenRequest {
  open: boolean;
  kind: DialogKind;
  network: string;
}
