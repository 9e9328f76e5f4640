// The typed bridge to the Go side. In the window, Wails injects
// window.go.main.App (one async function per exported method of the Go App,
// desktop/app.go) and window.runtime (events). This module gives them
// explicit types instead of the CLI-generated bindings, so the UI builds and
// is tested without the Wails CLI; a Go test (desktop/bridge_test.go) checks
// that every method named here exists on the Go App with the same arity.
import type { DeviceList, History, OpenRequest, Settings, UIState } from './types';

/** The Go App's bound methods (desktop/app.go, desktop/main.go). */
export interface AppMethods {
  State(): Promise<UIState>;
  Refresh(): Promise<UIState>;
  Login(server: string, email: string, password: string): Promise<UIState>;
  Logout(): Promise<UIState>;
  /** startsAt: RFC 3339, or '' to start at approval. */
  Request(network: string, reason: string, durationSeconds: number, startsAt: string): Promise<UIState>;
  Extend(network: string, reason: string, durationSeconds: number): Promise<UIState>;
  BreakGlass(network: string, reason: string, durationSeconds: number): Promise<UIState>;
  Cancel(network: string): Promise<UIState>;
  Connect(network: string): Promise<UIState>;
  Disconnect(network: string): Promise<UIState>;
  Release(network: string): Promise<UIState>;
  History(network: string): Promise<History>;
  SetConnectOnApproval(on: boolean): Promise<UIState>;
  Settings(): Promise<Settings>;
  SetStartAtLogin(on: boolean): Promise<Settings>;
  Devices(): Promise<DeviceList>;
  RemoveDevice(id: string): Promise<UIState>;
  Rendered(names: string[]): Promise<void>;
  WindowResized(): Promise<void>;
  TakeOpenRequest(): Promise<OpenRequest>;
  Quit(): Promise<void>;
}

/** The part of the Wails runtime the UI uses. */
export interface RuntimeEvents {
  EventsOn(event: string, callback: (...data: unknown[]) => void): () => void;
}

declare global {
  interface Window {
    go?: { main?: { App?: AppMethods } };
    runtime?: RuntimeEvents;
  }
}

/** What the UI talks to: the methods plus typed event subscriptions. */
export interface Bridge {
  app: AppMethods;
  onState(cb: (s: UIState) => void): () => void;
  onOpenRequest(cb: (network: string) => void): () => void;
  /** The tray's "Extend access…": the Extend dialog of a network ('' : the UI picks). */
  onOpenExtend(cb: (network: string) => void): () => void;
}

/** The bridge of the running window (Wails' injected objects). */
export function windowBridge(w: Window = window): Bridge {
  const app = w.go?.main?.App;
  const rt = w.runtime;
  if (!app || !rt) {
    throw new Error('The Gatepass window runtime is missing (window.go / window.runtime).');
  }
  return {
    app,
    onState: (cb) => rt.EventsOn('state', (s) => cb(s as UIState)),
    onOpenRequest: (cb) => rt.EventsOn('open-request', (n) => cb(typeof n === 'string' ? n : '')),
    onOpenExtend: (cb) => rt.EventsOn('open-extend', (n) => cb(typeof n === 'string' ? n : '')),
  };
}

/** The text of a rejected call (Wails rejects with an Error of the Go error's text). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  return 'Something went wrong.';
}
