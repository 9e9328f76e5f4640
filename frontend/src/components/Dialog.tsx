// The parts the window's dialogs share (Request, Extend, Break glass): the
// modal shell (focus inside, Escape closes, the focus returns to where it
// was), the reason field (required, counted, the server's rules) and the
// duration picker (presets up to a limit, or a custom one as people type
// it).
import type { ComponentChildren, Ref } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { span } from '../format';
import { checkDuration, type DurationCheck, MAX_REASON, type ReasonCheck } from '../validate';

export interface ModalProps {
  titleId: string;
  testid: string;
  /** While a call is in flight the backdrop does not close it. */
  sending: boolean;
  onClose(): void;
  children: ComponentChildren;
  /** An extra class of the dialog box (e.g. "danger"). */
  tone?: string;
}

/** A modal dialog: labelled by titleId, focus kept inside, Escape closes, the focus goes back on close. */
export function Modal({ titleId, testid, sending, onClose, children, tone }: ModalProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    return () => before?.focus?.();
  }, []);
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
  return (
    <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && !sending && onClose()}>
      <div
        class={`dialog${tone ? ` ${tone}` : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        ref={box}
        onKeyDown={onKeyDown}
        data-testid={testid}
      >
        {children}
      </div>
    </div>
  );
}

export interface ReasonFieldProps {
  value: string;
  check: ReasonCheck;
  /** Show the check's error (after a submit, or once the field was left). */
  showError: boolean;
  placeholder: string;
  label?: string;
  inputRef: Ref<HTMLTextAreaElement>;
  onValue(v: string): void;
  onLeave(): void;
  /** Enter sends (one line: the server refuses line breaks). */
  onEnter(): void;
}

/** The reason: required, one line, with a counter; Enter sends. */
export function ReasonField({ value, check, showError, placeholder, label = 'Reason', inputRef, onValue, onLeave, onEnter }: ReasonFieldProps) {
  const over = check.length > MAX_REASON;
  return (
    <>
      <label for="reason" class="label">
        {label} <span class="required">(required)</span>
      </label>
      <textarea
        id="reason"
        ref={inputRef}
        rows={4}
        value={value}
        placeholder={placeholder}
        aria-invalid={showError}
        aria-describedby="reason-help reason-count"
        onInput={(e) => onValue((e.currentTarget as HTMLTextAreaElement).value)}
        onBlur={onLeave}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            onEnter();
          }
        }}
        data-testid="reason-input"
      />
      <div class="field-foot">
        <span id="reason-help" class={`field-error${showError ? '' : ' hidden'}`} role={showError ? 'alert' : undefined} data-testid="reason-error">
          {showError ? check.error : ''}
        </span>
        <span id="reason-count" class={`counter${over ? ' over' : ''}`} data-testid="counter" aria-live="off">
          {check.length} / {MAX_REASON}
        </span>
      </div>
    </>
  );
}

/** Focuses a reason field at its end (a prefilled "Request again" reason: the cursor after it). */
export function useFocusAtEnd(ref: { current: HTMLTextAreaElement | null }) {
  useEffect(() => {
    ref.current?.focus();
    ref.current?.setSelectionRange(ref.current.value.length, ref.current.value.length);
  }, []);
}

/** The presets a duration picker offers: those up to max (0: no limit). */
export function presetsUpTo(presets: number[], max: number): number[] {
  return presets.filter((s) => max <= 0 || s <= max);
}

/** What a picker's choice means: a preset's seconds, none ('0'), or the custom text checked against max. */
export function chosenDuration(choice: string, custom: string, max: number): DurationCheck {
  return choice === 'custom' ? checkDuration(custom, max) : { seconds: Number(choice), error: '' };
}

export interface DurationFieldProps {
  label: string;
  /** "(optional)" or "(required)". */
  note: string;
  presets: number[];
  /** The label of the '0' option (none: no such option). */
  noneLabel?: string;
  /** The label of a preset, when it needs more than its span ("1h (the most allowed)"). */
  presetLabel?(seconds: number): string;
  /** Offer a custom duration. */
  custom: boolean;
  choice: string;
  amount: string;
  check: DurationCheck;
  showError: boolean;
  onChoice(v: string): void;
  onAmount(v: string): void;
}

/** A duration: presets (and a custom one as people type it: "90m", "1d 12h"). */
export function DurationField(p: DurationFieldProps) {
  return (
    <>
      <label for="duration" class="label">
        {p.label} <span class="optional">{p.note}</span>
      </label>
      <select id="duration" value={p.choice} onChange={(e) => p.onChoice((e.currentTarget as HTMLSelectElement).value)} data-testid="duration">
        {p.noneLabel ? <option value="0">{p.noneLabel}</option> : null}
        {p.presets.map((s) => (
          <option key={s} value={String(s)}>
            {p.presetLabel ? p.presetLabel(s) : span(s * 1000)}
          </option>
        ))}
        {p.custom ? <option value="custom">Custom…</option> : null}
      </select>
      {p.choice === 'custom' ? (
        <div class="custom-duration">
          <input
            type="text"
            aria-label="Custom duration"
            value={p.amount}
            placeholder="e.g. 90m, 8h, 2d or 1d 12h"
            onInput={(e) => p.onAmount((e.currentTarget as HTMLInputElement).value)}
            data-testid="custom-amount"
          />
          {p.amount.trim() !== '' && !p.check.error ? (
            <span class="hint" data-testid="custom-span">
              = {span(p.check.seconds * 1000)}
            </span>
          ) : null}
        </div>
      ) : null}
      {p.choice === 'custom' && p.showError && p.check.error ? (
        <div class="field-error" role="alert" data-testid="duration-error">
          {p.check.error}
        </div>
      ) : null}
    </>
  );
}

/** The dialog's error (the agent's or the server's words) and its buttons. */
export function DialogFoot({ error, sending, submit, sendingText, onClose, tone = 'primary' }: { error: string; sending: boolean; submit: string; sendingText: string; onClose(): void; tone?: string }) {
  return (
    <>
      {error ? (
        <div class="error" role="alert" data-testid="dialog-error">
          {error}
        </div>
      ) : null}
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onClose} disabled={sending}>
          Cancel
        </button>
        <button type="submit" class={`btn ${tone}`} disabled={sending} data-testid="submit">
          {sending ? sendingText : submit}
        </button>
      </div>
    </>
  );
}
