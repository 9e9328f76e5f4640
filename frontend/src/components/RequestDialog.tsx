import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { span } from '../format';
import type { Network } from '../types';
import { checkDuration, checkReason, MAX_REASON } from '../validate';

const PRESETS = [3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400];

export interface RequestDialogProps {
  network: Network;
  /** The reason to start from (the last request's, for "Request again"). */
  initialReason?: string;
  /** Sends the request; rejects with the error's text. */
  onSubmit(reason: string, durationSeconds: number): Promise<void>;
  onClose(): void;
}

/**
 * The Request dialog: a reason (required, with a counter and the server's
 * rules), an optional wished duration (presets up to the network's maximum,
 * or a custom one), submit. Modal: focus stays inside, Escape closes, the
 * focus returns to where it was.
 */
export function RequestDialog({ network, initialReason = '', onSubmit, onClose }: RequestDialogProps) {
  const [reason, setReason] = useState(initialReason);
  const [touched, setTouched] = useState(false);
  const [choice, setChoice] = useState('0');
  const [amount, setAmount] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const text = useRef<HTMLTextAreaElement>(null);

  const max = network.max_duration_seconds;
  const presets = useMemo(() => PRESETS.filter((s) => max <= 0 || s <= max), [max]);
  const check = checkReason(reason);
  const custom = choice === 'custom' ? checkDuration(amount, max) : { seconds: Number(choice), error: '' };
  const showReasonError = touched && check.error !== '';
  const over = check.length > MAX_REASON;

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    text.current?.focus();
    // A prefilled reason ("Request again"): the cursor at its end.
    text.current?.setSelectionRange(text.current.value.length, text.current.value.length);
    return () => before?.focus?.();
  }, []);

  async function submit(e?: Event) {
    e?.preventDefault();
    setTouched(true);
    if (check.error || custom.error || sending) {
      if (check.error) text.current?.focus();
      return;
    }
    setSending(true);
    setError('');
    try {
      await onSubmit(check.value, custom.seconds);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setSending(false);
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
      return;
    }
    if (e.key === 'Tab' && box.current) {
      const items = Array.from(
        box.current.querySelectorAll<HTMLElement>('button, textarea, input, select, [tabindex]:not([tabindex="-1"])'),
      ).filter((el) => !(el as HTMLButtonElement).disabled);
      if (items.length === 0) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  const titleId = `request-title-${network.id}`;
  return (
    <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && !sending && onClose()}>
      <div
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        ref={box}
        onKeyDown={onKeyDown}
        data-testid="request-dialog"
      >
        <form onSubmit={submit} noValidate>
          <h2 id={titleId}>
            Request access to <span class="name">{network.name}</span>
          </h2>
          <p class="hint">An administrator reviews your request. You will be notified of the decision.</p>
          <label for="reason" class="label">
            Reason <span class="required">(required)</span>
          </label>
          <textarea
            id="reason"
            ref={text}
            rows={4}
            value={reason}
            placeholder="What do you need access for?"
            aria-invalid={showReasonError}
            aria-describedby="reason-help reason-count"
            onInput={(e) => {
              setReason((e.currentTarget as HTMLTextAreaElement).value);
              setError('');
            }}
            onBlur={() => reason !== '' && setTouched(true)}
            onKeyDown={(e) => {
              // One line: Enter sends (Shift+Enter too: the server refuses line breaks).
              if (e.key === 'Enter') {
                e.preventDefault();
                void submit();
              }
            }}
            data-testid="reason-input"
          />
          <div class="field-foot">
            <span id="reason-help" class={`field-error${showReasonError ? '' : ' hidden'}`} role={showReasonError ? 'alert' : undefined} data-testid="reason-error">
              {showReasonError ? check.error : ''}
            </span>
            <span id="reason-count" class={`counter${over ? ' over' : ''}`} data-testid="counter" aria-live="off">
              {check.length} / {MAX_REASON}
            </span>
          </div>

          <label for="duration" class="label">
            Duration <span class="optional">(optional)</span>
          </label>
          <select
            id="duration"
            value={choice}
            onChange={(e) => setChoice((e.currentTarget as HTMLSelectElement).value)}
            data-testid="duration"
          >
            <option value="0">Let the admin decide</option>
            {presets.map((s) => (
              <option key={s} value={String(s)}>
                {span(s * 1000)}
              </option>
            ))}
            <option value="custom">Custom…</option>
          </select>
          {choice === 'custom' ? (
            <div class="custom-duration">
              <input
                type="text"
                aria-label="Custom duration"
                value={amount}
                placeholder="e.g. 90m, 8h, 2d or 1d 12h"
                onInput={(e) => setAmount((e.currentTarget as HTMLInputElement).value)}
                data-testid="custom-amount"
              />
              {amount.trim() !== '' && !custom.error ? (
                <span class="hint" data-testid="custom-span">
                  = {span(custom.seconds * 1000)}
                </span>
              ) : null}
            </div>
          ) : null}
          {choice === 'custom' && touched && custom.error ? (
            <div class="field-error" role="alert" data-testid="duration-error">
              {custom.error}
            </div>
          ) : null}
          {max > 0 ? <p class="hint">This network allows up to {span(max * 1000)}.</p> : null}

          {error ? (
            <div class="error" role="alert" data-testid="dialog-error">
              {error}
            </div>
          ) : null}
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={onClose} disabled={sending}>
              Cancel
            </button>
            <button type="submit" class="btn primary" disabled={sending} data-testid="submit">
              {sending ? 'Sending…' : 'Send request'}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
