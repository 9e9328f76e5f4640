import { useMemo, useRef, useState } from 'preact/hooks';
import { span } from '../format';
import type { Network } from '../types';
import { checkReason } from '../validate';
import { DialogFoot, DurationField, Modal, presetsUpTo, ReasonField, useFocusAtEnd } from './Dialog';

const PRESETS = [15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 86400];

export interface BreakGlassDialogProps {
  network: Network;
  /** Takes the access for durationSeconds; rejects with the error's text. */
  onSubmit(reason: string, durationSeconds: number): Promise<void>;
  onClose(): void;
}

/**
 * The Break glass dialog: emergency access at once, where the network
 * allows it for the user. A plain warning first (every approver of the
 * network is alerted at once, and the access is reviewed afterwards), a
 * mandatory reason, and a duration capped at the network's break-glass
 * maximum (offered first: emergencies are short, but the cap is the
 * admin's). No custom duration: the presets up to the cap, and the cap.
 */
export function BreakGlassDialog({ network, onSubmit, onClose }: BreakGlassDialogProps) {
  const cap = network.break_glass?.max_duration_seconds ?? 0;
  const presets = useMemo(() => {
    const p = presetsUpTo(PRESETS, cap);
    return cap > 0 && !p.includes(cap) ? [...p, cap] : p;
  }, [cap]);
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [choice, setChoice] = useState(() => String(cap > 0 ? cap : 0));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState('');
  const text = useRef<HTMLTextAreaElement>(null);
  useFocusAtEnd(text);
  const check = checkReason(reason);

  async function submit(e?: Event) {
    e?.preventDefault();
    setTouched(true);
    if (check.error || sending) {
      text.current?.focus();
      return;
    }
    setSending(true);
    setError('');
    try {
      await onSubmit(check.value, Number(choice));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setSending(false);
    }
  }

  const titleId = `break-glass-title-${network.id}`;
  return (
    <Modal titleId={titleId} testid="break-glass-dialog" sending={sending} onClose={onClose} tone="danger">
      <form onSubmit={submit} noValidate>
        <h2 id={titleId}>
          Break glass: <span class="name">{network.name}</span>
        </h2>
        <p class="warning" data-testid="break-glass-warning">
          <strong>For emergencies only.</strong> You get access at once, without a review first. Every approver of {network.name} is
          alerted at once, and your access is reviewed afterwards.
        </p>
        <ReasonField
          label="What is the emergency?"
          value={reason}
          check={check}
          showError={touched && check.error !== ''}
          placeholder="e.g. the orders database is down (INC-4711)"
          inputRef={text}
          onValue={(v) => {
            setReason(v);
            setError('');
          }}
          onLeave={() => reason !== '' && setTouched(true)}
          onEnter={() => void submit()}
        />
        <DurationField
          label="For"
          note={cap > 0 ? `(at most ${span(cap * 1000)})` : ''}
          presets={presets}
          noneLabel={cap > 0 ? undefined : 'The most allowed'}
          presetLabel={(s) => (s === cap ? `${span(s * 1000)} (the most allowed)` : span(s * 1000))}
          custom={false}
          choice={choice}
          amount=""
          check={{ seconds: Number(choice), error: '' }}
          showError={false}
          onChoice={setChoice}
          onAmount={() => undefined}
        />
        <DialogFoot error={error} sending={sending} submit="Break glass now" sendingText="Taking access…" onClose={onClose} tone="danger" />
      </form>
    </Modal>
  );
}
