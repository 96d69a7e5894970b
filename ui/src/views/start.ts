// The first screen: host a room, or join one: picked from the network or the recent hosts, or by address.
import type { NetworkView, SettingsView } from '../bindings';
import { el } from '../dom';
import type { JoinTarget, TransportError } from '../transport-types';
import { keyPanel, type KeyActions } from './identity';
import { HostLists, type Pick } from './network';

export interface StartActions {
  host(name: string, port: number, requireCode: boolean, advertise: boolean): Promise<void>;
  /** Opens Settings over the start screen. */
  openSettings(): void;
  join(address: string, name: string, accessCode: string, target?: JoinTarget): Promise<void>;
}

export const DEFAULT_PORT = 7878;

function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  return el(
    'label',
    { class: 'field' },
    el('span', { class: 'field-label' }, label),
    input,
    hint ? el('span', { class: 'field-hint' }, hint) : null,
  );
}

function describe(error: unknown): string {
  const failure = error as TransportError;
  switch (failure.kind) {
    case 'port_in_use':
      return `${failure.message} Try ${DEFAULT_PORT + 1}, or 0 to let Banter pick a free port.`;
    case 'unreachable':
      return `Could not reach that address: ${failure.message.replace(/^Could not reach the host: /, '')}. Check the address and that the host is running.`;
    case 'different_host':
      return `${failure.message} If you are not sure, ask its owner for the fingerprint.`;
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
  /** Pre-fills the host's port: the one hosted on last (null: the default). */
  savedPort: number | null;
  /** Pre-fills the access code (a guest URL's `#code=`). */
  presetCode: string;
  /** The user's key, for the key panel (none if the settings could not be read). */
  settings: SettingsView | null;
  keys: KeyActions;
  /** Hosts on the network, for the desktop app; null for a browser guest, whose host is fixed. */
  watchNetwork: ((handler: (view: NetworkView) => void) => Promise<() => void>) | null;
}

/** The start screen, and what to call when it goes (it stops following the network). */
export interface StartScreen {
  element: HTMLElement;
  close(): void;
}

/** Builds the start screen. */
export function startScreen(actions: StartActions, options: StartOptions): StartScreen {
  const { recent, savedName, fixedAddress } = options;
  const hostName = el('input', {
    testid: 'host-name',
    attrs: { autocomplete: 'nickname', maxlength: '32', placeholder: 'Your name', required: '' },
  });
  const hostPort = el('input', {
    testid: 'host-port',
    attrs: { inputmode: 'numeric', value: String(options.savedPort ?? DEFAULT_PORT) },
  });
  const hostError = el('p', { class: 'form-error', testid: 'host-error', attrs: { role: 'alert' } });
  const hostButton = el(
    'button',
    { class: 'primary', testid: 'host-start', attrs: { type: 'submit' } },
    'Start hosting',
  );

  const joinAddress = el('input', {
    testid: 'join-address',
    attrs: {
      list: 'recent-addresses',
      placeholder: '192.168.1.20 or 192.168.1.20:7878',
      autocomplete: 'off',
      required: '',
    },
  });
  const joinName = el('input', {
    testid: 'join-name',
    attrs: { autocomplete: 'nickname', maxlength: '32', placeholder: 'Your name', required: '' },
  });
  const joinCode = el('input', {
    testid: 'join-code',
    attrs: { autocomplete: 'off', maxlength: '80', placeholder: 'Only if the host asks for one', spellcheck: 'false' },
  });
  joinCode.value = options.presetCode;
  const requireCode = el('input', { testid: 'host-require-code', attrs: { type: 'checkbox' } });
  requireCode.checked = options.settings?.requireCode ?? false;
  const advertise = el('input', { testid: 'host-advertise', attrs: { type: 'checkbox' } });
  advertise.checked = options.settings?.advertise ?? true;
  const joinError = el('p', { class: 'form-error', testid: 'join-error', attrs: { role: 'alert' } });
  const joinButton = el('button', { class: 'primary', testid: 'join-submit', attrs: { type: 'submit' } }, 'Join');
  const datalist = el(
    'datalist',
    { attrs: { id: 'recent-addresses' } },
    ...recent.map((address) => el('option', { attrs: { value: address } })),
  );
  hostName.value = savedName;
  joinName.value = savedName;
  if (fixedAddress) joinAddress.value = fixedAddress;

  const busy = (button: HTMLButtonElement, label: string, working: boolean) => {
    button.disabled = working;
    button.textContent = working ? label : (button.dataset.label ?? button.textContent ?? '');
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
            await actions.host(hostName.value, port, requireCode.checked, advertise.checked);
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
    el(
      'label',
      { class: 'check-field' },
      requireCode,
      el('span', {}, 'Require an access code'),
      el(
        'span',
        { class: 'field-hint' },
        'Only people you give the code to can join. A new code is made each time you start.',
      ),
    ),
    el(
      'label',
      { class: 'check-field' },
      advertise,
      el('span', {}, 'Let people on this network find it'),
      el('span', { class: 'field-hint' }, 'Shows the chat, under your name, in their “On your network” list.'),
    ),
    hostError,
    hostButton,
  );

  // The last join tried, so that "Join anyway" can repeat it once the user was told another host answers.
  let lastTry: { address: string; target: JoinTarget } | null = null;
  const anyway = el(
    'button',
    { class: 'link-button join-anyway', testid: 'join-anyway', attrs: { type: 'button' } },
    'Join this host anyway',
  );
  anyway.hidden = true;
  /** Says what went wrong (and offers "Join anyway" where that helps), in view: the card can be taller than the
   *  window. `field` is where the user fixes it. */
  const refuse = (text: string, field: HTMLInputElement | null, offerAnyway = false) => {
    joinError.textContent = text;
    anyway.hidden = !offerAnyway;
    field?.focus();
    (offerAnyway ? anyway : joinError).scrollIntoView({ block: 'nearest' });
  };
  const tryJoin = async (address: string, target: JoinTarget) => {
    joinError.textContent = '';
    anyway.hidden = true;
    if (!joinName.value.trim()) return refuse('Type your display name first.', joinName);
    lastTry = { address, target };
    busy(joinButton, 'Joining…', true);
    try {
      await actions.join(address, joinName.value, joinCode.value, target);
    } catch (error) {
      const kind = (error as TransportError).kind;
      refuse(describe(error), kind === 'forbidden' ? joinCode : null, kind === 'different_host');
    } finally {
      busy(joinButton, '', false);
    }
  };
  anyway.addEventListener('click', () => {
    if (lastTry) void tryJoin(lastTry.address, { ...lastTry.target, acceptNewHost: true });
  });
  const pick = (picked: Pick) => {
    if (picked.needsCode && !joinCode.value.trim()) {
      return refuse('This host needs an access code: type the one its owner gave you, then Join again.', joinCode);
    }
    void tryJoin(picked.address, { hostId: picked.hostId });
  };
  const lists = options.watchNetwork ? new HostLists(options.settings?.recentHosts ?? [], pick) : null;
  let stopWatching: (() => void) | null = null;
  let closed = false;
  if (lists && options.watchNetwork) {
    options
      .watchNetwork((view) => lists.update(view))
      .then(
        (stop) => (closed ? stop() : (stopWatching = stop)),
        () => lists.update({ looking: { state: 'failed', reason: 'the app could not ask' }, hosts: [] }),
      );
  }

  const joinForm = el(
    'form',
    {
      class: 'card',
      on: {
        submit: (event) => {
          event.preventDefault();
          void tryJoin(joinAddress.value, {});
        },
      },
    },
    el('h2', {}, fixedAddress ? 'Join the chat' : 'Join a room'),
    el(
      'p',
      { class: 'card-lead' },
      fixedAddress
        ? `You are joining the Banter host at ${fixedAddress}.`
        : 'Pick a host on your network, or type the address its owner shared with you.',
    ),
    field('Display name', joinName),
    field(
      'Access code',
      joinCode,
      options.presetCode ? 'From the link you opened' : 'Leave empty unless the host gave you one',
    ),
    lists?.element,
    fixedAddress
      ? null
      : field(
          'Address',
          joinAddress,
          recent.length ? 'Recent addresses are suggested as you type' : 'Port 7878 unless given',
        ),
    fixedAddress ? null : datalist,
    joinError,
    anyway,
    joinButton,
  );

  const element = el(
    'main',
    { class: 'start', testid: 'start-screen' },
    el(
      'header',
      { class: 'start-header' },
      el('div', { class: 'logo', attrs: { 'aria-hidden': 'true' } }, '…'),
      el('h1', {}, 'Banter'),
      el('p', {}, 'Chat with the people on your network. No account, no cloud.'),
    ),
    el('div', { class: 'start-cards' }, options.canHost ? hostForm : null, joinForm),
    options.settings
      ? keyPanel(
          options.settings,
          options.keys,
          'Your name on a host is bound to this key the first time you use it there. To be the same person on another device, give it this key.',
        )
      : null,
    el(
      'button',
      {
        class: 'link-button start-settings',
        testid: 'open-settings',
        attrs: { type: 'button' },
        on: { click: () => actions.openSettings() },
      },
      'Settings',
    ),
  );
  return {
    element,
    close: () => {
      closed = true;
      stopWatching?.();
    },
  };
}
