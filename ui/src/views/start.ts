// The first screen: host a room, or join one by address.
import type { SettingsView } from '../bindings';
import { el } from '../dom';
import type { TransportError } from '../transport-types';
import { keyPanel, type KeyActions } from './identity';

export interface StartActions {
  host(name: string, port: number, requireCode: boolean): Promise<void>;
  join(address: string, name: string, accessCode: string): Promise<void>;
}

export const DEFAULT_PORT = 7878;

function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  return el('label', { class: 'field' }, el('span', { class: 'field-label' }, label), input, hint ? el('span', { class: 'field-hint' }, hint) : null);
}

function describe(error: unknown): string {
  const failure = error as TransportError;
  switch (failure.kind) {
    case 'port_in_use':
      return `${failure.message} Try ${DEFAULT_PORT + 1}, or 0 to let Banter pick a free port.`;
    case 'store_locked':
      return `${failure.message} Another Banter on this computer is hosting with the same data: stop it, or host from there.`;
    case 'unreachable':
      return `Could not reach that address: ${failure.message.replace(/^Could not reach the host: /, '')}. Check the address and that the host is running.`;
    default:
      return failure.message ?? String(error);
  }
}

/** What the start screen offers: hosting only where the transport can host; no address where it is fixed. */
export interface StartOptions {
  canHost: boolean;
  fixedAddress: string | null;
  recent: string[];
  /** Pre-fills the name fields. */
  savedName: string;
  /** Pre-fills the access code (a guest URL's `#code=`). */
  presetCode: string;
  /** The user's key, for the key panel (none if the settings could not be read). */
  settings: SettingsView | null;
  keys: KeyActions;
}

/** Builds the start screen. */
export function startScreen(actions: StartActions, options: StartOptions): HTMLElement {
  const { recent, savedName, fixedAddress } = options;
  const hostName = el('input', { testid: 'host-name', attrs: { autocomplete: 'nickname', maxlength: '32', placeholder: 'Your name', required: '' } });
  const hostPort = el('input', { testid: 'host-port', attrs: { inputmode: 'numeric', value: String(DEFAULT_PORT) } });
  const hostError = el('p', { class: 'form-error', testid: 'host-error', attrs: { role: 'alert' } });
  const hostButton = el('button', { class: 'primary', testid: 'host-start', attrs: { type: 'submit' } }, 'Start hosting');

  const joinAddress = el('input', {
    testid: 'join-address',
    attrs: { list: 'recent-addresses', placeholder: '192.168.1.20 or 192.168.1.20:7878', autocomplete: 'off', required: '' },
  });
  const joinName = el('input', { testid: 'join-name', attrs: { autocomplete: 'nickname', maxlength: '32', placeholder: 'Your name', required: '' } });
  const joinCode = el('input', { testid: 'join-code', attrs: { autocomplete: 'off', maxlength: '80', placeholder: 'Only if the host asks for one', spellcheck: 'false' } });
  joinCode.value = options.presetCode;
  const requireCode = el('input', { testid: 'host-require-code', attrs: { type: 'checkbox' } });
  const joinError = el('p', { class: 'form-error', testid: 'join-error', attrs: { role: 'alert' } });
  const joinButton = el('button', { class: 'primary', testid: 'join-submit', attrs: { type: 'submit' } }, 'Join');
  const datalist = el('datalist', { attrs: { id: 'recent-addresses' } }, ...recent.map((address) => el('option', { attrs: { value: address } })));
  hostName.value = savedName;
  joinName.value = savedName;
  if (fixedAddress) joinAddress.value = fixedAddress;

  const busy = (button: HTMLButtonElement, label: string, working: boolean) => {
    button.disabled = working;
    button.textContent = working ? label : button.dataset.label ?? button.textContent ?? '';
  };
  hostButton.dataset.label = 'Start hosting';
  joinButton.dataset.label = 'Join';

  const hostForm = el(
    'form',
    {
      class: 'card',
      on: {
        submit: async (event) => {
          event.preventDefault();
          hostError.textContent = '';
          const port = Number(hostPort.value.trim() || DEFAULT_PORT);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            hostError.textContent = 'The port is a number from 1 to 65535 (0 picks a free one).';
            return;
          }
          busy(hostButton, 'Starting…', true);
          try {
            await actions.host(hostName.value, port, requireCode.checked);
          } catch (error) {
            hostError.textContent = describe(error);
          } finally {
            busy(hostButton, '', false);
          }
        },
      },
    },
    el('h2', {}, 'Host a room'),
    el('p', { class: 'card-lead' }, 'Start a chat on this computer. People on your network join with its address.'),
    field('Display name', hostName),
    field('Port', hostPort, `Default ${DEFAULT_PORT}`),
    el('label', { class: 'check-field' }, requireCode, el('span', {}, 'Require an access code'), el('span', { class: 'field-hint' }, 'Only people you give the code to can join. A new code is made each time you start.')),
    hostError,
    hostButton,
  );

  const joinForm = el(
    'form',
    {
      class: 'card',
      on: {
        submit: async (event) => {
          event.preventDefault();
          joinError.textContent = '';
          busy(joinButton, 'Joining…', true);
          try {
            await actions.join(joinAddress.value, joinName.value, joinCode.value);
          } catch (error) {
            joinError.textContent = describe(error);
          } finally {
            busy(joinButton, '', false);
          }
        },
      },
    },
    el('h2', {}, fixedAddress ? 'Join the chat' : 'Join a room'),
    el('p', { class: 'card-lead' }, fixedAddress ? `You are joining the Banter host at ${fixedAddress}.` : 'Type the address the host shared with you.'),
    fixedAddress ? null : field('Address', joinAddress, recent.length ? 'Recent addresses are suggested as you type' : 'Port 7878 unless given'),
    fixedAddress ? null : datalist,
    field('Display name', joinName),
    field('Access code', joinCode, options.presetCode ? 'From the link you opened' : 'Leave empty unless the host gave you one'),
    joinError,
    joinButton,
  );

  return el(
    'main',
    { class: 'start', testid: 'start-screen' },
    el('header', { class: 'start-header' }, el('div', { class: 'logo', attrs: { 'aria-hidden': 'true' } }, '…'), el('h1', {}, 'Banter'), el('p', {}, 'Chat with the people on your network. No account, no cloud.')),
    el('div', { class: 'start-cards' }, options.canHost ? hostForm : null, joinForm),
    options.settings
      ? keyPanel(options.settings, options.keys, 'Your name on a host is bound to this key the first time you use it there. To be the same person on another device, give it this key.')
      : null,
  );
}
