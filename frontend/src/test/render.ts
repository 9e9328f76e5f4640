import { render } from 'preact';
import { act } from 'preact/test-utils';

/** Renders into a fresh container attached to the document. */
export function mount(vnode: preact.ComponentChild): { root: HTMLElement; unmount(): void } {
  const root = document.createElement('div');
  document.body.appendChild(root);
  act(() => {
    render(vnode, root);
  });
  return {
    root,
    unmount() {
      act(() => render(null, root));
      root.remove();
    },
  };
}

/** Lets promises and effects settle. */
export async function settle(): Promise<void> {
  await act(async () => {
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
  });
}

export function byTestId(root: ParentNode, id: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no [data-testid="${id}"]`);
  return el;
}

export function row(root: ParentNode, name: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-network="${name}"]`);
  if (!el) throw new Error(`no row ${name}`);
  return el;
}

/** Types into an input or textarea the way a user does (value + input event). */
export function type(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  act(() => {
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

export function click(el: HTMLElement): void {
  act(() => {
    el.click();
  });
}
