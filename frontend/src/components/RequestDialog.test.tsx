import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClockContext } from '../clock';
import { net, NOW } from '../test/fixtures';
import { localInputValue } from '../validate';
import { byTestId, click, mount, settle, type } from '../test/render';
import { RequestDialog } from './RequestDialog';

let un: (() => void) | null = null;
afterEach(() => {
  un?.();
  un = null;
});

function open(onSubmit = vi.fn(() => Promise.resolve()), onClose = vi.fn(), max = 30 * 86400, initialReason?: string) {
  const m = mount(<RequestDialog network={net({ max_duration_seconds: max })} initialReason={initialReason} onSubmit={onSubmit} onClose={onClose} />);
  un = m.unmount;
  const reason = byTestId(m.root, 'reason-input') as HTMLTextAreaElement;
  return { ...m, onSubmit, onClose, reason, submit: () => click(byTestId(m.root, 'submit')) };
}

describe('the Request dialog', () => {
  it('focuses the reason and is a labelled modal dialog', () => {
    const d = open();
    const dlg = byTestId(d.root, 'request-dialog');
    expect(dlg.getAttribute('role')).toBe('dialog');
    expect(dlg.getAttribute('aria-modal')).toBe('true');
    expect(document.getElementById(dlg.getAttribute('aria-labelledby')!)!.textContent).toBe('Request access to office-network');
    expect(document.activeElement).toBe(d.reason);
  });

  it('refuses an empty reason', () => {
    const d = open();
    d.submit();
    expect(byTestId(d.root, 'reason-error').textContent).toBe('Say why you need access.');
    expect(d.reason.getAttribute('aria-invalid')).toBe('true');
    expect(d.onSubmit).not.toHaveBeenCalled();
    type(d.reason, '   ');
    d.submit();
    expect(d.onSubmit).not.toHaveBeenCalled();
  });

  it('counts characters and refuses 1001', () => {
    const d = open();
    type(d.reason, 'a'.repeat(1000));
    expect(byTestId(d.root, 'counter').textContent).toBe('1000 / 1000');
    type(d.reason, 'a'.repeat(1001));
    expect(byTestId(d.root, 'counter').textContent).toBe('1001 / 1000');
    expect(byTestId(d.root, 'counter').classList.contains('over')).toBe(true);
    d.submit();
    expect(byTestId(d.root, 'reason-error').textContent).toBe('The reason is too long: 1001 characters (at most 1000).');
    expect(d.onSubmit).not.toHaveBeenCalled();
  });

  it('refuses control characters', () => {
    const d = open();
    type(d.reason, 'line one\nline two');
    d.submit();
    expect(byTestId(d.root, 'reason-error').textContent).toMatch(/control characters/);
    type(d.reason, 'bell\u0007');
    d.submit();
    expect(byTestId(d.root, 'reason-error').textContent).toMatch(/control characters/);
    expect(d.onSubmit).not.toHaveBeenCalled();
  });

  it('sends the trimmed reason and the wished duration', async () => {
    const d = open();
    type(d.reason, '  deploy the release  ');
    const sel = byTestId(d.root, 'duration') as HTMLSelectElement;
    sel.value = String(8 * 3600);
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('deploy the release', 8 * 3600, '');
  });

  it('offers no preset longer than the network allows, and reads a custom duration as typed', async () => {
    const d = open(undefined, undefined, 86400);
    const sel = byTestId(d.root, 'duration') as HTMLSelectElement;
    const values = Array.from(sel.options).map((o) => o.value);
    expect(values).toEqual(['0', '3600', '14400', '28800', '86400', 'custom']);
    expect(Array.from(sel.options).map((o) => o.textContent)).toEqual(['Let the admin decide', '1h', '4h', '8h', '1d', 'Custom…']);
    expect(d.root.textContent).toContain('This network allows up to 1d.');
    sel.value = 'custom';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    type(d.reason, 'a reason');
    const amount = byTestId(d.root, 'custom-amount') as HTMLInputElement;
    type(amount, '3 hours');
    d.submit();
    expect(byTestId(d.root, 'duration-error').textContent).toBe('"3 hours" is not a duration: unknown unit "hours" (w, d, h, m, s, ms): try 90m, 8h or 1d 12h.');
    type(amount, '1d 2h');
    expect(byTestId(d.root, 'duration-error').textContent).toBe('Longer than this network allows (1d).');
    expect(d.onSubmit).not.toHaveBeenCalled();
    type(amount, '2h30m');
    expect(byTestId(d.root, 'custom-span').textContent).toBe('= 2h 30m');
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('a reason', 2.5 * 3600, '');
  });

  it('starts from the last reason for "Request again", the cursor at its end', async () => {
    const d = open(undefined, undefined, undefined, 'deploy the hotfix');
    expect(d.reason.value).toBe('deploy the hotfix');
    expect(document.activeElement).toBe(d.reason);
    expect(d.reason.selectionStart).toBe('deploy the hotfix'.length);
    expect(byTestId(d.root, 'counter').textContent).toBe('17 / 1000');
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('deploy the hotfix', 0, '');
  });

  it("shows the server's error and stays open", async () => {
    const d = open(vi.fn(() => Promise.reject(new Error('a request for office-network is already pending'))));
    type(d.reason, 'again');
    d.submit();
    await settle();
    expect(byTestId(d.root, 'dialog-error').textContent).toBe('a request for office-network is already pending');
    expect(d.onClose).not.toHaveBeenCalled();
  });

  it('closes on Escape', () => {
    const d = open();
    d.reason.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(d.onClose).toHaveBeenCalled();
  });

  it('keeps markup in the reason as text', async () => {
    const d = open();
    type(d.reason, '<img src=x onerror=alert(1)>');
    expect(d.root.querySelector('img:not(.logo)')).toBeNull();
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('<img src=x onerror=alert(1)>', 0, '');
  });
});

describe('the Request dialog: a later start', () => {
  // NOW on the dialog's clock (the server's), whatever the machine's.
  // A clock stopped at NOW: a running one makes "the next full hour at
  // least an hour away" depend on how long the test took to get there.
  const frozen = { now: () => NOW };
  function openAt(onSubmit = vi.fn((_r: string, _d: number, _s: string) => Promise.resolve())) {
    const m = mount(
      <ClockContext.Provider value={frozen}>
        <RequestDialog network={net()} onSubmit={onSubmit} onClose={vi.fn()} />
      </ClockContext.Provider>,
    );
    un = m.unmount;
    type(byTestId(m.root, 'reason-input') as HTMLTextAreaElement, 'the night maintenance');
    return { ...m, onSubmit, submit: () => click(byTestId(m.root, 'submit')) };
  }
  const local = (ms: number) => localInputValue(ms);

  it('is off by default: the request starts at approval', async () => {
    const d = openAt();
    expect(d.root.querySelector('[data-testid="start-input"]')).toBeNull();
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('the night maintenance', 0, '');
  });

  it('"Start later" takes a date and time in the user\'s zone, previews the countdown and sends it as UTC', async () => {
    const d = openAt();
    click(byTestId(d.root, 'start-later'));
    const input = byTestId(d.root, 'start-input') as HTMLInputElement;
    expect(input.type).toBe('datetime-local');
    // Offered: the next full hour at least an hour away.
    expect(input.value).toBe(local(NOW + 3600_000));
    // 2h 10m ahead to the minute.
    const at = NOW + 2 * 3600_000 + 10 * 60_000;
    type(input, local(at));
    expect(byTestId(d.root, 'start-preview').textContent).toBe('Access starts in 2h 10m, in your time zone');
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('the night maintenance', 0, new Date(at).toISOString().replace('.000Z', 'Z'));
  });

  it('refuses a start in the past, more than 90 days ahead, or empty, and sends nothing', async () => {
    const d = openAt();
    click(byTestId(d.root, 'start-later'));
    const input = byTestId(d.root, 'start-input') as HTMLInputElement;
    type(input, local(NOW - 60_000));
    d.submit();
    await settle();
    expect(byTestId(d.root, 'start-error').textContent).toBe('Choose a start in the future (or leave "Start later" off).');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    type(input, local(NOW + 91 * 86400_000));
    expect(byTestId(d.root, 'start-error').textContent).toBe('The start can be at most 90 days ahead.');
    type(input, '');
    expect(byTestId(d.root, 'start-error').textContent).toBe('Enter the date and the time access should start.');
    expect(d.onSubmit).not.toHaveBeenCalled();
    // Off again: no start.
    click(byTestId(d.root, 'start-later'));
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('the night maintenance', 0, '');
  });

  it('says how many approvers review a network that needs several', () => {
    const m = mount(<RequestDialog network={net({ required_approvals: 2 })} onSubmit={vi.fn()} onClose={vi.fn()} />);
    un = m.unmount;
    expect(m.root.textContent).toContain('2 approvers review your request.');
  });
});
