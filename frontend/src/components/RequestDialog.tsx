import { useContext, useMemo, useRef, useState } from 'preact/hooks';
import { ClockContext } from '../clock';
import { span, startsText } from '../format';
import type { Network } from '../types';
import { checkReason, checkStart, localInputValue } from '../validate';
import { chosenDuration, DialogFoot, DurationField, Modal, presetsUpTo, ReasonField, useFocusAtEnd } from './Dialog';

const PRESETS = [3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400];

export interface RequestDialogProps {
  network: Network;
  /** The reason to start from (the last request's, for "Request again"). */
  initialReason?: string;
  /** Sends the request (startsAt: RFC 3339, or '' for at approval); rejects with the error's text. */
  onSubmit(reason: string, durationSeconds: number, startsAt: string): Promise<void>;
  onClose(): void;
}

/**
 * The Request dialog: a reason (required, with a counter and the server's
 * rules), an optional wished duration (presets up to the network's maximum,
 * or a custom one), an optional later start ("Start later": a date and a
 * time in the user's time zone, at most 90 days ahead; the row then counts
 * down "Access starts in 2h 10m" once approved), submit. Modal: focus stays
 * inside, Escape closes, the focus returns to where it was.
 */
export function RequestDialog({ network, initialReason = '', onSubmit, onClose }: RequestDialogProps) {
  const clock = useContext(ClockContext);
  const [reason, setReason] = useState(initialReason);
  const [touched, setTouched] = useState(false);
  const [choice, setChoice] = useState('0');
  const [amount, setAmount] = useState('');
  const [later, setLater] = useState(false);
  // The start offered first: the next full hour, an hour from now at least.
  const [start, setStart] = useState(() => localInputValue(Math.ceil((clock.now() + 3600_000) / 3600_000) * 3600_000));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState('');
  const text = useRef<HTMLTextAreaElement>(null);
  useFocusAtEnd(text);

  const max = network.max_duration_seconds;
  const presets = useMemo(() => presetsUpTo(PRESETS, max), [max]);
  const check = checkReason(reason);
  const custom = chosenDuration(choice, amount, max);
  const starts = later ? checkStart(start, clock.now()) : { iso: '', ms: NaN, error: '' };

  async function submit(e?: Event) {
    e?.preventDefault();
    setTouched(true);
    if (check.error || custom.error || starts.error || sending) {
      if (check.error) text.current?.focus();
      return;
    }
    setSending(true);
    setError('');
    try {
      await onSubmit(check.value, custom.seconds, starts.iso);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setSending(false);
    }
  }

  const titleId = `request-title-${network.id}`;
  return (
    <Modal titleId={titleId} testid="request-dialog" sending={sending} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id={titleId}>
          Request access to <span class="name">{network.name}</span>
        </h2>
        <p class="hint">
          {network.required_approvals > 1
            ? `${network.required_approvals} approvers review your request.`
            : 'An administrator reviews your request.'}{' '}
          You will be notified of the decision.
        </p>
        <ReasonField
          value={reason}
          check={check}
          showError={touched && check.error !== ''}
          placeholder="What do you need access for?"
          inputRef={text}
          onValue={(v) => {
            setReason(v);
            setError('');
          }}
          onLeave={() => reason !== '' && setTouched(true)}
          onEnter={() => void submit()}
        />
        <DurationField
          label="Duration"
          note="(optional)"
          presets={presets}
          noneLabel="Let the admin decide"
          custom
          choice={choice}
          amount={amount}
          check={custom}
          showError={touched}
          onChoice={setChoice}
          onAmount={setAmount}
        />
        {max > 0 ? <p class="hint">This network allows up to {span(max * 1000)}.</p> : null}

        <label class="check">
          <input type="checkbox" checked={later} onChange={(e) => setLater((e.currentTarget as HTMLInputElement).checked)} data-testid="start-later" />{' '}
          Start later
        </label>
        {later ? (
          <div class="start-field">
            <label for="starts-at" class="sr-only">
              Start (your time zone)
            </label>
            <input
              id="starts-at"
              type="datetime-local"
              value={start}
              aria-invalid={touched && starts.error !== ''}
              onInput={(e) => setStart((e.currentTarget as HTMLInputElement).value)}
              data-testid="start-input"
            />
            {!starts.error ? (
              <span class="hint" data-testid="start-preview">
                {startsText(starts.ms - clock.now())}, in your time zone
              </span>
            ) : touched ? (
              <div class="field-error" role="alert" data-testid="start-error">
                {starts.error}
              </div>
            ) : null}
          </div>
        ) : null}

        <DialogFoot error={error} sending={sending} submit="Send request" sendingText="Sending…" onClose={onClose} />
      </form>
    </Modal>
  );
}
