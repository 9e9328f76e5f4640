import { afterEach, describe, expect, it, vi } from 'vitest';
import { net } from '../test/fixtures';
import { byTestId, click, mount, settle, type } from '../test/render';
import { ExtendDialog } from './ExtendDialog';

let un: (() => void) | null = null;
afterEach(() => {
  un?.();
  un = null;
});

function open(room = 6 * 3600, onSubmit = vi.fn((_r: string, _d: number) => Promise.resolve())) {
  const onClose = vi.fn();
  const m = mount(<ExtendDialog network={net({ state: 'active', max_extension_seconds: room })} onSubmit={onSubmit} onClose={onClose} />);
  un = m.unmount;
  const reason = byTestId(m.root, 'reason-input') as HTMLTextAreaElement;
  const sel = byTestId(m.root, 'duration') as HTMLSelectElement;
  const choose = async (v: string) => {
    sel.value = v;
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
  };
  return { ...m, onSubmit, onClose, reason, sel, choose, submit: () => click(byTestId(m.root, 'submit')) };
}

describe('the Extend dialog', () => {
  it('is a labelled modal that says the access goes on meanwhile and how much room is left', () => {
    const d = open();
    const dlg = byTestId(d.root, 'extend-dialog');
    expect(dlg.getAttribute('role')).toBe('dialog');
    expect(document.getElementById(dlg.getAttribute('aria-labelledby')!)!.textContent).toBe('Extend access to office-network');
    expect(dlg.textContent).toContain('Your access and the tunnel go on while your request is decided');
    expect(byTestId(d.root, 'room').textContent).toBe('This grant may grow by up to 6h more.');
    expect(document.activeElement).toBe(d.reason);
  });

  it('offers only what fits in the room, 1h first', () => {
    const d = open(6 * 3600);
    expect(Array.from(d.sel.options).map((o) => o.textContent)).toEqual(['30m', '1h', '2h', '4h', 'Custom…']);
    expect(d.sel.value).toBe('3600');
    un?.();
    const small = open(45 * 60);
    expect(Array.from(small.sel.options).map((o) => o.value)).toEqual(['1800', 'custom']);
    expect(small.sel.value).toBe('1800');
  });

  it('needs a reason, and refuses a custom duration past the room or none', async () => {
    const d = open(2 * 3600);
    d.submit();
    expect(byTestId(d.root, 'reason-error').textContent).toBe('Say why you need access.');
    type(d.reason, 'the migration runs long');
    await d.choose('custom');
    d.submit();
    expect(byTestId(d.root, 'duration-error').textContent).toBe('How much more time? e.g. 90m or 2h.');
    type(byTestId(d.root, 'custom-amount') as HTMLInputElement, '3h');
    expect(byTestId(d.root, 'duration-error').textContent).toBe('Longer than this network allows (2h).');
    expect(d.onSubmit).not.toHaveBeenCalled();
    type(byTestId(d.root, 'custom-amount') as HTMLInputElement, '90m');
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('the migration runs long', 5400);
  });

  it('sends the reason and the preset; shows the error and stays open', async () => {
    const d = open(6 * 3600, vi.fn(() => Promise.reject(new Error('an extension of office-network is already pending (+2h)'))));
    type(d.reason, '  more time  ');
    await d.choose('7200');
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('more time', 7200);
    expect(byTestId(d.root, 'dialog-error').textContent).toBe('an extension of office-network is already pending (+2h)');
    expect(d.onClose).not.toHaveBeenCalled();
  });

  it('keeps markup in the reason as text', async () => {
    const d = open();
    type(d.reason, '<img src=x onerror=alert(1)>');
    d.submit();
    await settle();
    expect(d.root.querySelector('img')).toBeNull();
    expect(d.onSubmit).toHaveBeenCalledWith('<img src=x onerror=alert(1)>', 3600);
  });
});
