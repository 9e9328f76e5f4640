import { useEffect, useRef, useState } from 'preact/hooks';
import type { UIState } from '../types';
import { Logo } from './icons';

export interface SignInProps {
  ui: UIState;
  /** Signs in; rejects with the error's text (wrong password, unreachable, bad certificate…). */
  onSignIn(server: string, email: string, password: string): Promise<void>;
}

/** The sign-in screen: server URL, email, password, with clear errors. */
export function SignIn({ ui, onSignIn }: SignInProps) {
  const st = ui.status;
  const [server, setServer] = useState(st?.server ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const first = useRef<HTMLInputElement>(null);
  const pw = useRef<HTMLInputElement>(null);

  // The agent's last server fills the field once it is known.
  useEffect(() => {
    if (!server && st?.server) setServer(st.server);
  }, [st?.server]);
  useEffect(() => {
    first.current?.focus();
  }, []);

  const ready = ui.agent.connected;
  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!server.trim() || !email.trim() || !password) {
      setError(!server.trim() ? 'Enter the address of your Gatepass server.' : !email.trim() ? 'Enter your email.' : 'Enter your password.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await onSignIn(server.trim(), email.trim(), password);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setPassword('');
      setBusy(false);
      pw.current?.focus();
    }
  }

  return (
    <main class="signin" data-testid="signin">
      <div class="signin-head">
        <Logo />
        <h1>Sign in to Gatepass</h1>
        <p class="hint">Request time-limited access to your organisation's networks.</p>
      </div>
      {st?.message ? (
        <div class="banner info" role="status">
          {st.message}
        </div>
      ) : null}
      <form onSubmit={submit} noValidate>
        <label class="label" for="server">
          Server
        </label>
        <input
          id="server"
          ref={first}
          type="url"
          inputMode="url"
          autoComplete="url"
          placeholder="https://gatepass.example.com"
          value={server}
          onInput={(e) => setServer((e.currentTarget as HTMLInputElement).value)}
          data-testid="server"
        />
        <label class="label" for="email">
          Email
        </label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          value={email}
          onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
          data-testid="email"
        />
        <label class="label" for="password">
          Password
        </label>
        <input
          id="password"
          ref={pw}
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
          data-testid="password"
        />
        {error ? (
          <div class="error" role="alert" data-testid="signin-error">
            {error}
          </div>
        ) : null}
        <button type="submit" class="btn primary wide" disabled={busy || !ready} data-testid="signin-submit">
          {busy ? 'Signing in…' : ready ? 'Sign in' : 'Starting the agent…'}
        </button>
      </form>
    </main>
  );
}
