import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { devices, fakeBridge, status, ui, XSS } from '../test/fixtures';
import { byTestId, click, mount, settle } from '../test/render';
import { App, resetShown } from './App';
import { DevicesSection } from './Devices';

let un: (() => void) | null = null;
beforeEach(() => resetShown());
afterEach(() => {
  un?.();
  un = null;
});

async function section(f = fakeBridge()) {
  const onState = vi.fn();
  const m = mount(<DevicesSection bridge={f.bridge} onState={onState} />);
  un = m.unmount;
  await settle();
  return { ...f, root: m.root, onState };
}

function deviceRow(root: ParentNode, id: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-device="${id}"]`);
  if (!el) throw new Error(`no device ${id}`);
  return el;
}

const signedOut = ui(status({ signed_in: false, user: null, networks: [], device: null, message: 'This device was removed from your account' }));

describe('the Devices section', () => {
  it('lists name, added, last seen, with this device first and marked', async () => {
    const s = await section();
    const rows = Array.from(s.root.querySelectorAll<HTMLElement>('[data-testid="device"]'));
    expect(rows.map((r) => r.dataset.device)).toEqual(['d1', 'd2', 'd3']);
    expect(byTestId(rows[0]!, 'device-name').textContent).toBe('laptop');
    expect(byTestId(rows[0]!, 'this-device').textContent).toBe('This device');
    expect(rows[1]!.querySelector('[data-testid="this-device"]')).toBeNull();
    expect(rows[2]!.querySelector('[data-testid="this-device"]')).toBeNull();
    expect(byTestId(rows[0]!, 'device-meta').textContent).toMatch(/^Added .*2026 · Last seen 5m ago$/);
    expect(byTestId(rows[1]!, 'device-meta').textContent).toMatch(/Last seen never$/);
    expect(byTestId(rows[2]!, 'device-meta').textContent).toMatch(/Last seen 3d ago$/);
  });

  it('shows a hostile device name as text', async () => {
    const s = await section();
    expect(byTestId(deviceRow(s.root, 'd3'), 'device-name').textContent).toBe(XSS);
    expect(s.root.querySelector('img:not(.logo)')).toBeNull();
    click(byTestId(deviceRow(s.root, 'd3'), 'remove'));
    expect(byTestId(deviceRow(s.root, 'd3'), 'confirm-text').textContent).toContain(`Remove “${XSS}”?`);
    expect(s.root.querySelector('img:not(.logo)')).toBeNull();
  });

  it('removes another device after the confirm step, and lists again', async () => {
    const s = await section();
    const row = deviceRow(s.root, 'd2');
    click(byTestId(row, 'remove'));
    expect(byTestId(row, 'confirm-text').textContent).toBe('Remove “old-desktop”? Its connections end now and it must sign in again to be used.');
    click(byTestId(row, 'keep'));
    expect(row.querySelector('[data-testid="confirm"]')).toBeNull();
    expect(s.app.RemoveDevice).not.toHaveBeenCalled();

    click(byTestId(row, 'remove'));
    const after = devices();
    after.devices = after.devices.filter((d) => d.id !== 'd2');
    s.app.Devices.mockResolvedValueOnce(after);
    click(byTestId(row, 'confirm-remove'));
    await settle();
    expect(s.app.RemoveDevice).toHaveBeenCalledWith('d2');
    expect(s.onState).toHaveBeenCalledTimes(1);
    expect(s.app.Devices).toHaveBeenCalledTimes(2);
    expect(s.root.querySelector('[data-device="d2"]')).toBeNull();
    expect(s.root.querySelectorAll('[data-testid="device"]').length).toBe(2);
  });

  it('says that removing this device signs you out', async () => {
    const s = await section();
    s.app.RemoveDevice.mockResolvedValueOnce(signedOut);
    const row = deviceRow(s.root, 'd1');
    click(byTestId(row, 'remove'));
    expect(byTestId(row, 'confirm-text').textContent).toContain('You will be signed out of Gatepass on this computer');
    expect(byTestId(row, 'confirm-remove').textContent).toBe('Remove and sign out');
    click(byTestId(row, 'confirm-remove'));
    await settle();
    expect(s.app.RemoveDevice).toHaveBeenCalledWith('d1');
    expect(s.onState).toHaveBeenCalledWith(signedOut);
    expect(s.app.Devices).toHaveBeenCalledTimes(1);
  });

  it('shows errors in plain words and keeps the device', async () => {
    const s = await section();
    s.app.RemoveDevice.mockRejectedValueOnce(new Error("Can't reach the Gatepass server. Check the address and your connection."));
    const row = deviceRow(s.root, 'd2');
    click(byTestId(row, 'remove'));
    click(byTestId(row, 'confirm-remove'));
    await settle();
    expect(byTestId(s.root, 'devices-error').textContent).toContain("Can't reach the Gatepass server.");
    expect(s.root.querySelector('[data-device="d2"]')).not.toBeNull();
    expect(s.onState).not.toHaveBeenCalled();
  });

  it('says when the list cannot be loaded, and tries again', async () => {
    const f = fakeBridge();
    f.app.Devices.mockRejectedValueOnce(new Error('Not signed in: sign in to a Gatepass server first'));
    const s = await section(f);
    expect(byTestId(s.root, 'devices-error').textContent).toContain('Not signed in');
    expect(s.root.querySelector('[data-testid="device"]')).toBeNull();
    click(s.root.querySelector<HTMLElement>('[data-testid="devices-error"] button')!);
    await settle();
    expect(s.root.querySelector('[data-testid="devices-error"]')).toBeNull();
    expect(s.root.querySelectorAll('[data-testid="device"]').length).toBe(3);
  });
});

describe('devices in the window', () => {
  it('removing this device in Settings leads to the sign-in with the reason', async () => {
    const f = fakeBridge();
    f.app.RemoveDevice.mockResolvedValueOnce(signedOut);
    const m = mount(<App bridge={f.bridge} />);
    un = m.unmount;
    await settle();
    click(byTestId(m.root, 'open-settings'));
    await settle();
    const row = deviceRow(byTestId(m.root, 'devices'), 'd1');
    click(byTestId(row, 'remove'));
    click(byTestId(row, 'confirm-remove'));
    await settle();
    expect(byTestId(m.root, 'signin').textContent).toContain('This device was removed from your account');
  });

  it('shows the agent message while signed in (e.g. the device limit)', async () => {
    const msg = 'This device could not be registered: you have 5 devices registered, the most allowed';
    const m = mount(<App bridge={fakeBridge(ui(status({ message: msg }))).bridge} />);
    un = m.unmount;
    await settle();
    expect(byTestId(m.root, 'agent-message').textContent).toBe(msg);
  });
});
