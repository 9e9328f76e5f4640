import { afterEach, describe, expect, it, vi } from 'vitest';
import { net } from '../test/fixtures';
import { byTestId, click, mount, settle, type } from '../test/render';
import { BreakGlassDialog } from './BreakGlassDialog';

let un: (() => void) | null = null;
afterEach(() => {
  un?.();
  un = null;
});

function open(cap = 3600, onSubmit = vi.fn((_r: string, _d: number) => Promise.resolve())) {
  const onClose = vi.fn();
  const m = mount(<BreakGlassDialog network={net({ name: 'production-db', break_glass: { max_duration_seconds: cap } })} onSubmit={onSubmit} onClose={onClose} />);
  un = m.unmount;
  return {
    ...m,
    onSubmit,
    onClose,
    reason: byTestId(m.root, 'reason-input') as HTMLTextAreaElement,
    sel: byTestId(m.root, 'duration') as HTMLSelectElement,
    submit: () => click(byTestId(m.root, 'submit')),
  };
}

describe('the Break glass dialog', () => {
  it('warns plainly that every approver is alerted at once', () => {
    const d = open();
    const dlg = byTestId(d.root, 'break-glass-dialog');
    expect(document.getElementById(dlg.getAttribute('aria-labelledby')!)!.textContent).toBe('Break glass: production-db');
    expect(byTestId(d.root, 'break-glass-warning').textContent).toBe(
      'For emergencies only. You get access at once, without a review first. Every approver of production-db is alerted at once, and your access is reviewed afterwards.',
    );
    expect(byTestId(d.root, 'submit').textContent).toBe('Break glass now');
  });

  it('caps the duration: presets up to the cap, the cap offered first', () => {
    const d = open(3600);
    expect(Array.from(d.sel.options).map((o) => o.textContent)).toEqual(['15m', '30m', '1h (the most allowed)']);
    expect(d.sel.value).toBe('3600');
    un?.();
    const odd = open(45 * 60);
    expect(Array.from(odd.sel.options).map((o) => o.textContent)).toEqual(['15m', '30m', '45m (the most allowed)']);
  });

  it('the reason is mandatory', () => {
    const d = open();
    d.submit();
    expect(byTestId(d.root, 'reason-error').textContent).toBe('Say why you need access.');
    type(d.reason, '   ');
    d.submit();
    expect(d.onSubmit).not.toHaveBeenCalled();
  });

  it('sends the reason and the chosen duration; shows a refusal and stays open', async () => {
    const d = open(3600, vi.fn(() => Promise.reject(new Error('Break-glass access to production-db is not open to you: request access instead'))));
    type(d.reason, 'orders DB down <script>alert(1)</script>');
    d.sel.value = '1800';
    d.sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    d.submit();
    await settle();
    expect(d.onSubmit).toHaveBeenCalledWith('orders DB down <script>alert(1)</script>', 1800);
    expect(byTestId(d.root, 'dialog-error').textContent).toBe('Break-glass access to production-db is not open to you: request access instead');
    expect(d.root.querySelector('script')).toBeNull();
    expect(d.onClose).not.toHaveBeenCalled();
  });
});
