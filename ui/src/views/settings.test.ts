import { describe, expect, it, vi } from 'vitest';
import type { SettingsUpdate, SettingsView } from '../bindings';
import { applyTheme, storedTheme } from '../theme';
import { parsePort, settingsDialog, type SettingsActions, type SettingsContext } from './settings';

const view: SettingsView = {
  name: 'Ann',
  recentAddresses: [],
  recentHosts: [],
  advertise: true,
  userKey: 'ann-key-0000000001',
  userKeyQr: '',
  hostPort: 7900,
  requireCode: false,
  theme: 'system',
};

function open(context: Partial<SettingsContext> = {}, refuse = false) {
  const updates: SettingsUpdate[] = [];
  const actions: SettingsActions = {
    update: vi.fn(async (update: SettingsUpdate) => {
      if (refuse) throw new Error('This name cannot be used: it has a character that changes text direction.');
      updates.push(update);
      return view;
    }),
    showTheme: vi.fn(),
    keys: { copy: async () => {}, setKey: async () => view },
    setNotify: vi.fn(async () => {}),
    close: vi.fn(),
  };
  const dialog = settingsDialog({ settings: view, canHost: true, chat: null, ...context }, actions);
  document.body.replaceChildren(dialog);
  const find = <T extends HTMLElement>(testid: string) => dialog.querySelector<T>(`[data-testid=${testid}]`);
  return { dialog, actions, updates, find };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('settings', () => {
  it('reads a port: empty is the default, 0 picks one, the rest is refused', () => {
    expect(parsePort('')).toBeNull();
    expect(parsePort(' 0 ')).toBe(0);
    expect(parsePort('7878')).toBe(7878);
    for (const bad of ['65536', '-1', 'abc', '78 78', '1e3']) expect(parsePort(bad)).toBeInstanceOf(Error);
  });

  it('keeps a new name, and shows why one is refused', async () => {
    const kept = open();
    const name = kept.find<HTMLInputElement>('settings-name')!;
    expect(name.value).toBe('Ann');
    name.value = 'Ann Host';
    kept.find('settings-name-save')!.click();
    await settle();
    expect(kept.updates).toEqual([{ name: 'Ann Host' }]);
    expect(kept.find('settings-name-status')!.textContent).toBe('Saved.');

    const refused = open({}, true);
    refused.find('settings-name-save')!.click();
    await settle();
    expect(refused.find('settings-name-status')!.textContent).toContain('cannot be used');
  });

  it('draws a theme at once and keeps it', async () => {
    const { find, actions, updates } = open();
    expect(find<HTMLInputElement>('settings-theme-system')!.checked).toBe(true);
    const dark = find<HTMLInputElement>('settings-theme-dark')!;
    dark.checked = true;
    dark.dispatchEvent(new Event('change'));
    await settle();
    expect(actions.showTheme).toHaveBeenCalledWith('dark');
    expect(updates).toEqual([{ theme: 'dark' }]);
  });

  it('checks the hosting options before keeping them', async () => {
    const { find, updates } = open();
    const port = find<HTMLInputElement>('settings-port')!;
    expect(port.value).toBe('7900');
    port.value = '99999';
    find('settings-hosting-save')!.click();
    await settle();
    expect(updates).toEqual([]);
    expect(find('settings-hosting-status')!.textContent).toContain('1 to 65535');
    port.value = '0';
    find<HTMLInputElement>('settings-require-code')!.checked = true;
    find('settings-hosting-save')!.click();
    await settle();
    expect(updates).toEqual([{ hostPort: 0, requireCode: true, advertise: true }]);
  });

  it('offers hosting only where the app can host, and levels only in a chat', async () => {
    const guest = open({ canHost: false });
    expect(guest.find('settings-port')).toBeNull();
    expect(guest.dialog.textContent).toContain('once you are in a chat');

    const inChat = open({ chat: { me: 'Ann', rooms: [{ name: 'ops', level: 'mentions' }], hostingPort: 7900 } });
    expect(inChat.dialog.textContent).toContain('You host on port 7900 now');
    const level = inChat.find<HTMLSelectElement>('settings-notify-ops')!;
    expect(level.value).toBe('mentions');
    level.value = 'all';
    level.dispatchEvent(new Event('change'));
    await settle();
    expect(inChat.actions.setNotify).toHaveBeenCalledWith('ops', 'all');
  });

  it('closes with Escape and with Done', () => {
    const { dialog, find, actions } = open();
    dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    find('settings-close')!.click();
    expect(actions.close).toHaveBeenCalledTimes(2);
  });

  it('sets the drawn theme on the root element and remembers it', () => {
    applyTheme('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(storedTheme()).toBe('dark');
    // jsdom has no system preference: "system" is light there.
    applyTheme('system');
    expect(document.documentElement.dataset.theme).toBe('light');
    localStorage.setItem('banter.theme', 'purple');
    expect(storedTheme()).toBe('system');
  });
});
