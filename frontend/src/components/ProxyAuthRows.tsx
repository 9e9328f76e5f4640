import type { Status } from '../types';

/** The proxies' user name and password, when they ask for them. */
export function ProxyAuthRows({ status }: { status: Status }) {
  const a = status.proxy_auth;
  if (!a) return null;
  return (
    <>
      <dt>Proxy user name</dt>
      <dd class="mono" data-testid="proxy-user">{a.username}</dd>
      <dt>Proxy password</dt>
      <dd class="mono" data-testid="proxy-password">{a.password}</dd>
    </>
  );
}
