// What the policies add to a network's row: the approvals of a pending
// request ("1 of 2 approvals · approved by dana@example.com"), a scheduled
// start, the extension of an active grant ("Extension requested: +2h,
// pending"), the break-glass mark, and how a grant was given (Details:
// "Approved by rule on-call"). Every text from the server (emails, rule
// names, notes) is rendered as text, never as markup.
import { formatDateTime, formatTime, span } from '../format';
import type { AccessRequest, Approval, Network } from '../types';

/** "1 of 2 approvals" and who approved so far, for a request that needs several. */
export function Approvals({ r, required }: { r: AccessRequest; required: number }) {
  const need = Math.max(r.required_approvals || 0, required || 0);
  if (need <= 1) return null;
  return (
    <div class="approvals" data-testid="approvals">
      <span class="approvals-count">
        {r.approvals.length} of {need} approvals
      </span>
      {r.approvals.length > 0 ? (
        <span>
          {' '}
          · approved by <Who list={r.approvals} />
        </span>
      ) : null}
    </div>
  );
}

/** "dana@example.com and erik@example.com", each as text. */
function Who({ list }: { list: Approval[] }) {
  return (
    <>
      {list.map((a, i) => (
        <span key={a.user_id || a.by}>
          {i > 0 ? (i === list.length - 1 ? ' and ' : ', ') : ''}
          <span class="user-text" data-testid="approver">
            {a.by}
          </span>
        </span>
      ))}
    </>
  );
}

/** A pending request's wished start: "Asked to start 24 Nov 2026, 09:00". */
export function AskedStart({ r }: { r: AccessRequest }) {
  if (!r.starts_at) return null;
  return (
    <div class="muted" data-testid="asked-start">
      Asked to start {formatDateTime(r.starts_at)}
    </div>
  );
}

/** A scheduled grant's window: "From 24 Nov 2026, 09:00 until 10:00". */
export function Window({ n }: { n: Network }) {
  const r = n.request;
  const from = n.starts_at ?? r?.starts_at;
  if (!from) return null;
  return (
    <div class="muted" data-testid="window">
      From {formatDateTime(from)}
      {r?.expires_at ? ` until ${formatTime(r.expires_at)}` : ''}
    </div>
  );
}

/** The latest extension of the active grant: pending (with its approvals), denied (with the note), or granted. */
export function Extension({ n }: { n: Network }) {
  const e = n.extension;
  if (!e) return null;
  const more = `+${span((e.status === 'approved' && e.granted_seconds ? e.granted_seconds : e.duration_seconds ?? 0) * 1000)}`;
  switch (e.status) {
    case 'pending':
      return (
        <div class="extension pending-ext" data-testid="extension" data-status="pending">
          <span>Extension requested: {more}, pending</span>
          <Approvals r={e} required={n.required_approvals} />
        </div>
      );
    case 'denied':
      return (
        <div class="extension denied" data-testid="extension" data-status="denied">
          Extension {more} denied.
          {e.note ? (
            <span>
              {' '}
              Note: <q class="user-text">{e.note}</q>
            </span>
          ) : null}
        </div>
      );
    case 'approved':
      return (
        <div class="extension muted" data-testid="extension" data-status="approved">
          Extended {more}
          {e.rule ? (
            <>
              {' '}
              by rule <span class="user-text">{e.rule}</span>
            </>
          ) : null}
        </div>
      );
  }
  return null;
}

/** The mark of a break-glass grant, beside the network's name. */
export function BreakGlassBadge({ r }: { r: AccessRequest | null }) {
  if (!r || r.kind !== 'break_glass' || r.status !== 'approved') return null;
  return (
    <span class="badge break-glass" title="Emergency access: every approver was alerted, and it is reviewed afterwards" data-testid="break-glass-badge">
      Break-glass
    </span>
  );
}

/** The Extend… action of an active grant that may grow and has no pending extension. */
export function canExtend(n: Network): boolean {
  return n.state === 'active' && n.max_extension_seconds > 0 && n.extension?.status !== 'pending';
}

/** How the active grant was given, for the Details: a rule, break-glass, several approvers, or one. */
export function GrantInfo({ n }: { n: Network }) {
  const r = n.request;
  if (n.state !== 'active' || !r || r.status !== 'approved') return null;
  let body;
  if (r.kind === 'break_glass') {
    body = (
      <>
        Break-glass access: every approver was alerted{r.review_required ? '; it awaits their review' : ''}.
      </>
    );
  } else if (r.rule) {
    body = (
      <>
        Approved by rule <span class="user-text" data-testid="rule">{r.rule}</span>
      </>
    );
  } else if (r.approvals.length > 1) {
    body = (
      <>
        Approved by <Who list={r.approvals} />
      </>
    );
  } else if (r.decided_by) {
    body = (
      <>
        Approved by <span class="user-text">{r.decided_by}</span>
      </>
    );
  } else {
    return null;
  }
  return (
    <p class="grant-info" data-testid="grant-info">
      {body}
    </p>
  );
}
