// The host owner's moderation in the people list and the host panel: ban someone for a while or for good, and
// lift a ban. Only shown while this app hosts; the host itself refuses everyone else.
import type { BanInfo } from '../bindings';
import { el } from '../dom';

export interface ModerationActions {
  /** Opens the ban form under a person (or closes it, with null). */
  askBan(name: string | null): void;
  ban(name: string, minutes: number | null): Promise<void>;
  unban(name: string): Promise<void>;
}

/** What the form offers, shortest first. */
export const BAN_DURATIONS: readonly { label: string; minutes: number | null }[] = [
  { label: 'for 1 hour', minutes: 60 },
  { label: 'for 1 day', minutes: 24 * 60 },
  { label: 'for 1 week', minutes: 7 * 24 * 60 },
  { label: 'until I lift it', minutes: null },
];

type Guard = (work: () => Promise<void>) => Promise<void>;

export function banButton(name: string, actions: ModerationActions): HTMLElement {
  return el('button', {
    class: 'link-button member-action',
    testid: `ban-${name}`,
    attrs: { type: 'button', title: `Ban ${name} from this chat` },
    on: { click: () => actions.askBan(name) },
  }, 'Ban');
}

/** The confirmation under a person: how long, then Ban or Cancel. */
export function banForm(name: string, actions: ModerationActions, guard: Guard): HTMLElement {
  const duration = el('select', { testid: 'ban-duration', attrs: { 'aria-label': 'How long' } },
    ...BAN_DURATIONS.map((choice, index) => el('option', { attrs: { value: String(index) } }, choice.label)));
  return el('form', {
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
  el('button', { class: 'link-button', attrs: { type: 'button' }, on: { click: () => actions.askBan(null) } }, 'Cancel'));
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
  return el('div', { class: 'bans', testid: 'bans' },
    el('h3', { class: 'sidebar-title' }, 'Banned'),
    el('ul', {}, ...bans.map((ban) => el('li', { testid: `banned-${ban.name}` },
      el('span', {}, ban.name), el('small', { class: 'nav-sub' }, banUntil(ban)),
      el('button', {
        class: 'link-button',
        testid: `unban-${ban.name}`,
        attrs: { type: 'button', title: `Let ${ban.name} back in` },
        on: { click: () => void guard(() => actions.unban(ban.name)) },
      }, 'Lift')))));
}
