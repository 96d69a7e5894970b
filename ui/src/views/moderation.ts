// The host owner's moderation in the people list, the room header and the host panel: kick someone, ban them for
// a while or for good, lift a ban, delete a room with its history, free a name. Only shown while this app hosts;
// the host itself refuses everyone else.
import type { BanInfo } from '../bindings';
import { el } from '../dom';

export interface ModerationActions {
  /** Disconnects someone from every device; they may join again (a ban keeps them out). */
  kick(name: string): Promise<void>;
  /** Opens the ban form under a person (or closes it, with null). */
  askBan(name: string | null): void;
  ban(name: string, minutes: number | null): Promise<void>;
  unban(name: string): Promise<void>;
  /** Opens the confirmation of a room's deletion (or closes it, with null). */
  askDelete(room: string | null): void;
  deleteRoom(room: string): Promise<void>;
  /** Frees a name; answers what to tell the owner. */
  releaseName(name: string): Promise<string>;
}

/** What the form offers, shortest first. */
export const BAN_DURATIONS: readonly { label: string; minutes: number | null }[] = [
  { label: 'for 1 hour', minutes: 60 },
  { label: 'for 1 day', minutes: 24 * 60 },
  { label: 'for 1 week', minutes: 7 * 24 * 60 },
  { label: 'until I lift it', minutes: null },
];

type Guard = (work: () => Promise<void>) => Promise<void>;

export function kickButton(name: string, actions: ModerationActions, guard: Guard): HTMLElement {
  return el(
    'button',
    {
      class: 'link-button member-action',
      testid: `kick-${name}`,
      attrs: { type: 'button', title: `Disconnect ${name} (they can join again; Ban keeps them out)` },
      on: { click: () => void guard(() => actions.kick(name)) },
    },
    'Kick',
  );
}

export function banButton(name: string, actions: ModerationActions): HTMLElement {
  return el(
    'button',
    {
      class: 'link-button member-action',
      testid: `ban-${name}`,
      attrs: { type: 'button', title: `Ban ${name} from this chat` },
      on: { click: () => actions.askBan(name) },
    },
    'Ban',
  );
}

/** The confirmation under a person: how long, then Ban or Cancel. */
export function banForm(name: string, actions: ModerationActions, guard: Guard): HTMLElement {
  const duration = el(
    'select',
    { testid: 'ban-duration', attrs: { 'aria-label': 'How long' } },
    ...BAN_DURATIONS.map((choice, index) => el('option', { attrs: { value: String(index) } }, choice.label)),
  );
  return el(
    'form',
    {
      class: 'ban-form',
      testid: 'ban-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          const choice = BAN_DURATIONS[Number(duration.value)] ?? BAN_DURATIONS[0];
          void guard(() => actions.ban(name, choice.minutes));
        },
      },
    },
    el('p', { class: 'field-hint' }, `Ban ${name}? They are disconnected and cannot come back under any name.`),
    duration,
    el('button', { class: 'danger-button', testid: 'ban-confirm', attrs: { type: 'submit' } }, 'Ban'),
    el(
      'button',
      { class: 'link-button', attrs: { type: 'button' }, on: { click: () => actions.askBan(null) } },
      'Cancel',
    ),
  );
}

/** Until when a ban holds, as people say it. */
export function banUntil(ban: BanInfo): string {
  if (ban.until == null) return 'until lifted';
  const until = new Date(ban.until);
  const sameDay = until.toDateString() === new Date().toDateString();
  return `until ${sameDay ? until.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : until.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}`;
}

/** The host panel's list of bans, each with Lift; nothing when there are none. */
export function bansSection(bans: readonly BanInfo[], actions: ModerationActions, guard: Guard): HTMLElement | null {
  if (!bans.length) return null;
  return el(
    'div',
    { class: 'bans', testid: 'bans' },
    el('h3', { class: 'sidebar-title' }, 'Banned'),
    el(
      'ul',
      {},
      ...bans.map((ban) =>
        el(
          'li',
          { testid: `banned-${ban.name}` },
          el('span', {}, ban.name),
          el('small', { class: 'nav-sub' }, banUntil(ban)),
          el(
            'button',
            {
              class: 'link-button',
              testid: `unban-${ban.name}`,
              attrs: { type: 'button', title: `Let ${ban.name} back in` },
              on: { click: () => void guard(() => actions.unban(ban.name)) },
            },
            'Lift',
          ),
        ),
      ),
    ),
  );
}

/** The room header's Delete, for the host's owner: asks first, since the room's history goes with it. */
export function deleteRoomControl(
  room: string,
  confirming: boolean,
  actions: ModerationActions,
  guard: Guard,
): HTMLElement {
  if (!confirming) {
    return el(
      'button',
      {
        class: 'link-button danger-link',
        testid: 'delete-room',
        attrs: { type: 'button', title: `Delete #${room} and its messages for everyone` },
        on: { click: () => actions.askDelete(room) },
      },
      'Delete room',
    );
  }
  return el(
    'div',
    {
      class: 'delete-room-form',
      testid: 'delete-room-form',
      attrs: { role: 'alertdialog', 'aria-label': `Delete #${room}?` },
    },
    el('span', { class: 'field-hint' }, `Delete #${room} and all its messages, for everyone?`),
    el(
      'button',
      {
        class: 'danger-button',
        testid: 'delete-room-confirm',
        attrs: { type: 'button' },
        on: { click: () => void guard(() => actions.deleteRoom(room)) },
      },
      'Delete',
    ),
    el(
      'button',
      { class: 'link-button', attrs: { type: 'button' }, on: { click: () => actions.askDelete(null) } },
      'Cancel',
    ),
  );
}

/** The host panel's form to free a name that someone's key holds, so that anyone may take it. */
export function releaseNameForm(actions: ModerationActions): HTMLElement {
  const input = el('input', {
    testid: 'release-name-input',
    attrs: { placeholder: 'Name', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Name to free' },
  });
  const status = el('p', { class: 'field-hint', testid: 'release-name-status', attrs: { role: 'status' } });
  return el(
    'form',
    {
      class: 'release-name',
      testid: 'release-name',
      on: {
        submit: (event) => {
          event.preventDefault();
          const name = input.value.trim();
          if (!name) return;
          actions.releaseName(name).then(
            (said) => {
              status.textContent = said;
              input.value = '';
            },
            (error) => (status.textContent = (error as Error).message),
          );
        },
      },
    },
    el('h3', { class: 'sidebar-title' }, 'Names'),
    el(
      'p',
      { class: 'field-hint' },
      'A name belongs to the first key that used it here. Free one for someone else to take:',
    ),
    input,
    el('button', { class: 'link-button', testid: 'release-name-submit', attrs: { type: 'submit' } }, 'Free name'),
    status,
  );
}
