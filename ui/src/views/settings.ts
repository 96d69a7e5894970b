// The Settings screen, over the start screen or the chat: the name to host and join with, the user's key, the
// colours, which messages notify, and how hosting starts. What the app keeps goes through `update`; the levels
// are the host's (kept for the user on every device), so they are set in the chat and only while in one.
import type { NotifyLevel, SettingsUpdate, SettingsView, Theme } from '../bindings';
import { el } from '../dom';
import { NOTIFY_CHOICES } from './chat';
import { keyPanel, type KeyActions } from './identity';

export interface SettingsActions {
  /** Keeps a change; answers the settings as kept, or fails with why. */
  update(update: SettingsUpdate): Promise<SettingsView>;
  /** Draws a theme at once (before it is kept). */
  showTheme(theme: Theme): void;
  keys: KeyActions;
  setNotify(room: string, level: NotifyLevel): Promise<void>;
  close(): void;
}

/** The chat the user is in, as the screen needs it; null on the start screen. */
export interface SettingsChat {
  /** The name this chat was joined with. */
  me: string;
  rooms: readonly { name: string; level: NotifyLevel }[];
  /** The port hosted on now, when this app hosts the chat. */
  hostingPort: number | null;
}

export interface SettingsContext {
  settings: SettingsView;
  canHost: boolean;
  chat: SettingsChat | null;
}

const THEMES: readonly { theme: Theme; label: string }[] = [
  { theme: 'system', label: 'Same as the system' },
  { theme: 'light', label: 'Light' },
  { theme: 'dark', label: 'Dark' },
];

/** Checks the port field: empty is the default, 0 lets the system pick one each time. */
export function parsePort(text: string): number | null | Error {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const port = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || port > 65535)
    return new Error('The port is a number from 1 to 65535 (0 picks a free one).');
  return port;
}

function section(title: string, id: string, ...children: (HTMLElement | null)[]): HTMLElement {
  return el(
    'section',
    { class: 'settings-section', attrs: { 'aria-labelledby': id } },
    el('h3', { attrs: { id } }, title),
    ...children,
  );
}

/** A status line that says what the last change did. */
function statusLine(testid: string): HTMLElement {
  return el('p', { class: 'field-hint', testid, attrs: { role: 'status' } });
}

async function keep(status: HTMLElement, work: () => Promise<unknown>, done: string): Promise<boolean> {
  status.textContent = '';
  try {
    await work();
    status.textContent = done;
    return true;
  } catch (error) {
    status.textContent = (error as Error).message;
    return false;
  }
}

function profileSection(context: SettingsContext, actions: SettingsActions): HTMLElement {
  const name = el('input', {
    testid: 'settings-name',
    attrs: { autocomplete: 'nickname', maxlength: '64', 'aria-describedby': 'settings-name-hint' },
  });
  name.value = context.settings.name;
  const status = statusLine('settings-name-status');
  const now = context.chat
    ? `You are ${context.chat.me} in this chat. A new name is used from the next time you host or join.`
    : 'The name you host and join with.';
  const form = el(
    'form',
    {
      class: 'settings-row',
      on: {
        submit: (event) => {
          event.preventDefault();
          void keep(status, () => actions.update({ name: name.value }), 'Saved.');
        },
      },
    },
    el('label', {}, el('span', {}, 'Name'), name),
    el('button', { class: 'link-button', testid: 'settings-name-save', attrs: { type: 'submit' } }, 'Save'),
  );
  return section(
    'You',
    'settings-you',
    form,
    el('p', { class: 'field-hint', attrs: { id: 'settings-name-hint' } }, now),
    status,
    keyPanel(
      context.settings,
      actions.keys,
      'Your key holds your name on every host. Copy it to another device to be you there too.',
    ),
  );
}

function themeSection(context: SettingsContext, actions: SettingsActions): HTMLElement {
  const status = statusLine('settings-theme-status');
  const choices = THEMES.map((choice) => {
    const radio = el('input', {
      testid: `settings-theme-${choice.theme}`,
      attrs: { type: 'radio', name: 'settings-theme', value: choice.theme },
    });
    radio.checked = context.settings.theme === choice.theme;
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      actions.showTheme(choice.theme);
      void keep(status, () => actions.update({ theme: choice.theme }), '');
    });
    return el('label', { class: 'settings-choice' }, radio, el('span', {}, choice.label));
  });
  return section(
    'Appearance',
    'settings-appearance',
    el('div', { attrs: { role: 'radiogroup', 'aria-labelledby': 'settings-appearance' } }, ...choices),
    status,
  );
}

function notifySection(context: SettingsContext, actions: SettingsActions): HTMLElement {
  const always =
    'Direct messages always notify. The host keeps these for you, so they are the same on all your devices.';
  if (!context.chat) {
    return section(
      'Notifications',
      'settings-notify',
      el('p', { class: 'field-hint' }, `Set for each room once you are in a chat. ${always}`),
    );
  }
  const status = statusLine('settings-notify-status');
  const rows = context.chat.rooms.map((room) => {
    const select = el(
      'select',
      { testid: `settings-notify-${room.name}`, attrs: { 'aria-label': `Notifications for #${room.name}` } },
      ...NOTIFY_CHOICES.map((choice) =>
        el(
          'option',
          { attrs: { value: choice.level, ...(choice.level === room.level ? { selected: '' } : {}) } },
          choice.label,
        ),
      ),
    );
    select.addEventListener('change', () => {
      const level = NOTIFY_CHOICES.find((choice) => choice.level === select.value)?.level ?? 'mentions';
      void keep(status, () => actions.setNotify(room.name, level), `Saved for #${room.name}.`);
    });
    return el('label', { class: 'settings-row' }, el('span', { class: 'settings-room' }, `# ${room.name}`), select);
  });
  return section('Notifications', 'settings-notify', ...rows, el('p', { class: 'field-hint' }, always), status);
}

function hostingSection(context: SettingsContext, actions: SettingsActions): HTMLElement | null {
  if (!context.canHost) return null;
  const { settings } = context;
  const port = el('input', {
    testid: 'settings-port',
    attrs: { inputmode: 'numeric', placeholder: '7878', 'aria-label': 'Port' },
  });
  port.value = settings.hostPort === null ? '' : String(settings.hostPort);
  const requireCode = el('input', { testid: 'settings-require-code', attrs: { type: 'checkbox' } });
  requireCode.checked = settings.requireCode;
  const advertise = el('input', { testid: 'settings-advertise', attrs: { type: 'checkbox' } });
  advertise.checked = settings.advertise;
  const status = statusLine('settings-hosting-status');
  const when =
    context.chat?.hostingPort != null
      ? `You host on port ${context.chat.hostingPort} now; changes apply the next time you host.`
      : 'Used the next time you host.';
  const form = el(
    'form',
    {
      class: 'settings-hosting',
      on: {
        submit: (event) => {
          event.preventDefault();
          const parsed = parsePort(port.value);
          if (parsed instanceof Error) {
            status.textContent = parsed.message;
            port.focus();
            return;
          }
          const update: SettingsUpdate = { requireCode: requireCode.checked, advertise: advertise.checked };
          if (parsed !== null) update.hostPort = parsed;
          void keep(status, () => actions.update(update), 'Saved.');
        },
      },
    },
    el('label', { class: 'settings-row' }, el('span', {}, 'Port'), port),
    el(
      'label',
      { class: 'settings-choice' },
      requireCode,
      el('span', {}, 'Require an access code (a new one each time)'),
    ),
    el('label', { class: 'settings-choice' }, advertise, el('span', {}, 'Announce the chat on this network')),
    el('button', { class: 'link-button', testid: 'settings-hosting-save', attrs: { type: 'submit' } }, 'Save'),
  );
  return section('Hosting', 'settings-hosting', form, el('p', { class: 'field-hint' }, when), status);
}

export function settingsDialog(context: SettingsContext, actions: SettingsActions): HTMLElement {
  const close = el(
    'button',
    { class: 'primary', testid: 'settings-close', attrs: { type: 'button' }, on: { click: () => actions.close() } },
    'Done',
  );
  const dialog = el(
    'div',
    {
      class: 'modal',
      testid: 'settings',
      attrs: { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'settings-title' },
      on: {
        keydown: (event) => {
          if (event.key === 'Escape') actions.close();
        },
        click: (event) => {
          // A click on the dimmed backdrop, outside the card, closes it, as elsewhere.
          if (event.target === dialog) actions.close();
        },
      },
    },
    el(
      'div',
      { class: 'modal-card settings-card' },
      el('h2', { attrs: { id: 'settings-title' } }, 'Settings'),
      profileSection(context, actions),
      themeSection(context, actions),
      notifySection(context, actions),
      hostingSection(context, actions),
      el('div', { class: 'modal-actions' }, close),
    ),
  );
  window.setTimeout(() => dialog.querySelector<HTMLInputElement>('[data-testid=settings-name]')?.focus(), 0);
  return dialog;
}
