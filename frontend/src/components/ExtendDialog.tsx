import { useMemo, useRef, useState } from 'preact/hooks';
import { span } from '../format';
import type { Network } from '../types';
import { checkReason } from '../validate';
import { chosenDuration, DialogFoot, DurationField, Modal, presetsUpTo, ReasonField, useFocusAtEnd } from './Dialog';

const PRESETS = [1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400];

export interface ExtendDialogProps {
  network: Network;
  /** Asks for durationSeconds more; rejects with the error's text. */
  onSubmit(reason: string, durationSeconds: number): Promise<void>;
  onClose(): void;
}

/**
 * The Extend dialog of an active grant: a reason (required, the server's
 * rules) and how much more time (required: presets and a custom one, never
 * past the grant's room, max_extension_seconds: the network's maximum caps
 * one grant). It says what happens meanwhile: the access and the tunnel go
 * on while approvers decide, and nothing drops when it is granted.
 */
export function ExtendDialog({ network, onSubmit, onClose }: ExtendDialogProps) {
  const room = network.max_extension_seconds;
  const presets = useMemo(() => presetsUpTo(PRESETS, room), [room]);
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [choice, setChoice] = useState(() => (presets.includes(3600) ? '3600' : presets.length > 0 ? String(presets[presets.length - 1]) : 'custom'));
  const [amount, setAmount] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState('');
  const text = useRef<HTMLTextAreaElement>(null);
  useFocusAtEnd(text);

  const check = checkReason(reason);
  const more = chosenDuration(choice, amount, room);
  const moreError = choice === 'custom' && amount.trim() === '' ? 'How much more time? e.g. 90m or 2h.' : more.error;

  async function submit(e?: Event) {
    e?.preventDefault();
    setTouched(true);
    if (check.error || moreError || sending) {
      if (check.error) text.current?.focus();
      return;
    }
    setSending(true);
    setError('');
    try {
      await onSubmit(check.value, more.seconds);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setSending(false);
    }
  }

  const titleId = `extend-title-${network.id}`;
  return (
    <Modal titleId={titleId} testid="extend-dialog" sending={sending} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id={titleId}>
          Extend access to <span class="name">{network.name}</span>
        </h2>
        <p class="hint">Your access and the tunnel go on while your request is decided; when it is granted, the end moves and nothing drops.</p>
        <ReasonField
          value={reason}
          check={check}
          showError={touched && check.error !== ''}
          placeholder="Why do you need more time?"
          inputRef={text}
          onValue={(v) => {
            setReason(v);
            setError('');
          }}
          onLeave={() => reason !== '' && setTouched(true)}
          onEnter={() => void submit()}
        />
        <DurationField
          label="More time"
          note="(required)"
          presets={presets}
          custom
          choice={choice}
          amount={amount}
          check={{ seconds: more.seconds, error: moreError }}
          showError={touched}
          onChoice={setChoice}
          onAmount={setAmount}
        />
        <p class="hint" data-testid="room">
          This grant may grow by up to {span(room * 1000)} more.
        </p>
        <DialogFoot error={error} sending={sending} submit="Ask for more time" sendingText="Sending…" onClose={onClose} />
      </form>
    </Modal>
  );
}
