// "Your key": the user key that holds this person's name on every host, shown so that it can be carried to another
// device, and taken from one. Used on the start screen and in the chat's sidebar.
import type { SettingsView } from '../bindings';
import { el } from '../dom';

export interface KeyActions {
  copy(text: string): Promise<void>;
  /** Takes a key from another device; resolves with the settings that now hold it. */
  setKey(key: string): Promise<SettingsView>;
}

/** A collapsed panel with the key, Copy, its QR code (where the platform draws one) and a field for another key. */
export function keyPanel(settings: SettingsView, actions: KeyActions, note: string): HTMLElement {
  const shown = el('code', { class: 'user-key', testid: 'user-key' }, settings.userKey);
  const qr = el('img', {
    class: 'qr',
    testid: 'user-key-qr',
    attrs: { alt: 'QR code of your key', width: '132', height: '132' },
  });
  const showQr = (view: SettingsView) => {
    qr.hidden = view.userKeyQr === '';
    if (view.userKeyQr) qr.setAttribute('src', view.userKeyQr);
  };
  showQr(settings);
  const status = el('p', { class: 'field-hint', testid: 'user-key-status', attrs: { role: 'status' } });
  const copy = el(
    'button',
    {
      class: 'link-button',
      testid: 'user-key-copy',
      attrs: { type: 'button' },
      on: {
        click: async () => {
          try {
            await actions.copy(shown.textContent ?? '');
            status.textContent = 'Copied. Keep it private: whoever has it can speak as you.';
          } catch (error) {
            status.textContent = (error as Error).message;
          }
        },
      },
    },
    'Copy',
  );
  const other = el('input', {
    testid: 'user-key-input',
    attrs: {
      placeholder: 'Key from another device',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-label': 'Key from another device',
    },
  });
  const use = el(
    'form',
    {
      class: 'key-form',
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!other.value.trim()) return;
          try {
            const view = await actions.setKey(other.value);
            shown.textContent = view.userKey;
            showQr(view);
            other.value = '';
            status.textContent = 'This is your key now. It holds your name from the next time you join or host.';
          } catch (error) {
            status.textContent = (error as Error).message;
          }
        },
      },
    },
    other,
    el('button', { class: 'link-button', testid: 'user-key-use', attrs: { type: 'submit' } }, 'Use this key'),
  );
  return el(
    'details',
    { class: 'key-panel', testid: 'key-panel' },
    el('summary', {}, 'Your key'),
    el('p', { class: 'field-hint' }, note),
    el('div', { class: 'key-row' }, shown, copy),
    qr,
    use,
    status,
  );
}
