// The chat screen's left column: who the user is, their key, the host panel while hosting (addresses, QR code,
// bans, Stop hosting), the rooms joined and others to join, a new room, and the direct messages. It is drawn again
// only when something it shows has changed, and what the user may be typing in it (a room name, a key, a name to
// free) lives in nodes built once and moved, so a redraw never loses it.
import type { ChatState, Conversation } from '../store';
import { roomKey } from '../store';
import { el, replace } from '../dom';
import { activeAgo } from '../format';
import { avatar } from './message';
import { bansSection, releaseNameForm, type ModerationActions } from './moderation';

export interface SidebarActions {
  open(key: string): void;
  createRoom(name: string): Promise<void>;
  joinRoom(name: string): Promise<void>;
  copy(text: string): Promise<void>;
  stopHosting(): Promise<void>;
  leaveChat(): Promise<void>;
  /** Opens Settings: the name, the key, the theme, notifications, hosting. */
  openSettings(): void;
  moderation: ModerationActions;
}

export class Sidebar {
  readonly root = el('nav', { class: 'sidebar', attrs: { 'aria-label': 'Conversations' } });
  private readonly roomInput = el('input', {
    testid: 'room-new-input',
    attrs: { placeholder: 'New room', maxlength: '48', 'aria-label': 'New room name' },
  });
  private roomForm: HTMLFormElement | null = null;
  private releaseForm: HTMLElement | null = null;
  private drawn = '';

  constructor(
    private readonly actions: SidebarActions,
    private readonly guard: (work: () => Promise<void>) => Promise<void>,
  ) {}

  render(state: ChatState, now: number): void {
    this.roomInput.maxLength = state.limits.maxRoomChars;
    const signature = sidebarSignature(state, now);
    if (signature === this.drawn) return;
    this.drawn = signature;
    this.draw(state);
  }

  private draw(state: ChatState): void {
    const joinedRooms = [...state.conversations.values()].filter((c) => c.kind === 'room');
    const otherRooms = state.rooms.filter((room) => !state.conversations.has(roomKey(room.name)));
    const now = Date.now();
    const directs = [...state.conversations.values()].filter((c) => c.kind === 'dm');
    const roomInput = this.roomInput;
    const roomForm =
      this.roomForm ??
      el(
        'form',
        {
          class: 'room-new',
          on: {
            submit: async (event) => {
              event.preventDefault();
              const name = roomInput.value.trim();
              if (!name) return;
              await this.guard(async () => {
                await this.actions.createRoom(name);
                roomInput.value = '';
              });
            },
          },
        },
        roomInput,
        el(
          'button',
          {
            class: 'icon-button',
            testid: 'room-new-submit',
            attrs: { type: 'submit', title: 'Create room', 'aria-label': 'Create room' },
          },
          '+',
        ),
      );
    // Built once and moved, not rebuilt: a render must not wipe a room name being typed.
    this.roomForm = roomForm;
    const sections: HTMLElement[] = [this.identity(state)];
    if (state.hosting) sections.push(this.hostPanel(state));
    sections.push(
      el('h3', { class: 'sidebar-title' }, 'Rooms'),
      el(
        'ul',
        { class: 'nav-list' },
        ...joinedRooms.map((c) => this.navItem(state, c, `# ${c.name}`, roomDetails(state, c.name, now))),
      ),
    );
    if (state.rich) {
      if (otherRooms.length) {
        sections.push(
          el('h3', { class: 'sidebar-title' }, 'Other rooms'),
          el(
            'ul',
            { class: 'nav-list' },
            ...otherRooms.map((room) =>
              el(
                'li',
                {},
                el(
                  'button',
                  {
                    class: 'nav-item muted',
                    testid: `join-${room.name}`,
                    attrs: { type: 'button', title: `Join ${room.name}` },
                    on: { click: () => void this.guard(() => this.actions.joinRoom(room.name)) },
                  },
                  el(
                    'span',
                    { class: 'nav-label' },
                    `# ${room.name}`,
                    el('small', { class: 'nav-sub', testid: `active-${room.name}` }, activeAgo(room.lastActive, now)),
                  ),
                  room.members > 0
                    ? el('span', { class: 'count', testid: `online-${room.name}` }, `${room.members} online`)
                    : null,
                ),
              ),
            ),
          ),
        );
      }
      sections.push(roomForm);
      sections.push(el('h3', { class: 'sidebar-title' }, 'Direct messages'));
      sections.push(
        directs.length
          ? el('ul', { class: 'nav-list' }, ...directs.map((c) => this.navItem(state, c, c.name)))
          : el('p', { class: 'empty-hint' }, 'Click a name under People to write to them.'),
      );
    }
    replace(this.root, ...sections);
  }

  private identity(state: ChatState): HTMLElement {
    const where = state.hosting ? `Hosting on port ${state.hosting.port}` : state.address ? `On ${state.address}` : '';
    // Hosts stop from the host panel, which says what stopping does.
    const leave = state.hosting
      ? null
      : el(
          'button',
          {
            class: 'link-button',
            testid: 'leave-chat',
            attrs: { type: 'button' },
            on: { click: () => void this.guard(() => this.actions.leaveChat()) },
          },
          'Leave',
        );
    return el(
      'div',
      { class: 'identity' },
      avatar(state.me),
      el(
        'div',
        { class: 'identity-text' },
        el('strong', { testid: 'me' }, state.me),
        el('span', { testid: 'where', attrs: { 'data-joined': state.address ?? '' } }, where),
      ),
      el(
        'button',
        {
          class: 'link-button',
          testid: 'open-settings',
          attrs: { type: 'button', title: 'Settings: name, key, theme, notifications, hosting' },
          on: { click: () => this.actions.openSettings() },
        },
        'Settings',
      ),
      leave,
    );
  }

  private hostPanel(state: ChatState): HTMLElement {
    const addresses = state.hosting?.addresses ?? [];
    const guests = state.hosting?.guests ?? [];
    const copyButton = (text: string) =>
      el(
        'button',
        {
          class: 'link-button',
          attrs: { type: 'button', title: `Copy ${text}` },
          on: {
            click: async (event) => {
              const button = event.currentTarget as HTMLButtonElement;
              await this.guard(() => this.actions.copy(text));
              button.textContent = 'Copied';
              window.setTimeout(() => (button.textContent = 'Copy'), 1500);
            },
          },
        },
        'Copy',
      );
    // Phones scan the first address on the network; loopback only helps this machine.
    const scannable = guests.find((guest) => !guest.url.includes('//127.')) ?? guests[0];
    return el(
      'section',
      { class: 'host-panel', testid: 'host-addresses' },
      state.hosting?.accessCode
        ? el(
            'div',
            { class: 'access-code' },
            el('h3', { class: 'sidebar-title' }, 'Access code'),
            el(
              'p',
              { testid: 'host-access-code' },
              el('code', { attrs: { 'data-access-code': state.hosting.accessCode } }, state.hosting.accessCode),
              copyButton(state.hosting.accessCode),
            ),
            el('p', { class: 'field-hint' }, 'Guests need it to join; the links and the QR code below carry it.'),
          )
        : null,
      el('h3', { class: 'sidebar-title' }, 'Banter apps join at'),
      el(
        'ul',
        {},
        ...addresses.map((address) =>
          el('li', {}, el('code', { attrs: { 'data-address': address } }, address), copyButton(address)),
        ),
      ),
      el('h3', { class: 'sidebar-title' }, 'Browsers and phones open'),
      el(
        'ul',
        {},
        ...guests.map((guest) =>
          el('li', {}, el('code', { attrs: { 'data-guest-url': guest.url } }, guest.url), copyButton(guest.url)),
        ),
      ),
      scannable
        ? el('img', {
            class: 'qr',
            testid: 'guest-qr',
            attrs: { src: scannable.qrCode, alt: `QR code of ${scannable.url}`, width: '132', height: '132' },
          })
        : null,
      el(
        'p',
        {
          class: 'field-hint',
          testid: 'host-fingerprint',
          attrs: { 'data-fingerprint': state.hosting?.fingerprint ?? '' },
        },
        'Fingerprint ',
        el('strong', {}, state.hosting?.fingerprint ?? ''),
        ': guests can check it with you to know they reached this host.',
      ),
      el(
        'p',
        { class: 'field-hint', testid: 'host-advertised' },
        state.hosting?.advertised
          ? `Shown on the network as “${state.hosting.advertised}”.`
          : 'Not shown on the network: guests type an address.',
      ),
      el(
        'p',
        { class: 'field-hint', testid: 'host-data', attrs: { title: state.hosting?.data ?? '' } },
        `Rooms and messages are kept in ${state.hosting?.data ?? ''}.`,
      ),
      bansSection(state.bans, this.actions.moderation, (work) => this.guard(work)),
      // Built once and moved, like the key panel: a name half typed and the last answer survive renders.
      (this.releaseForm ??= releaseNameForm(this.actions.moderation)),
      el(
        'button',
        {
          class: 'danger-button',
          testid: 'stop-hosting',
          attrs: { type: 'button', title: 'Tell everyone the chat is over and disconnect them' },
          on: { click: () => void this.guard(() => this.actions.stopHosting()) },
        },
        'Stop hosting',
      ),
    );
  }

  private navItem(
    state: ChatState,
    conversation: Conversation,
    label: string,
    details: string | null = null,
  ): HTMLElement {
    const active = conversation.key === state.current;
    const sub = details ? el('small', { class: 'nav-sub', testid: `details-${conversation.name}` }, details) : null;
    return el(
      'li',
      {},
      el(
        'button',
        {
          class: `nav-item${active ? ' active' : ''}${conversation.unread ? ' unread' : ''}`,
          testid: `conversation-${conversation.name}`,
          attrs: { type: 'button', 'aria-current': active ? 'page' : 'false' },
          on: { click: () => this.actions.open(conversation.key) },
        },
        el('span', { class: 'nav-label' }, label, sub),
        conversation.unread
          ? el(
              'span',
              { class: 'badge', attrs: { 'aria-label': `${conversation.unread} unread` } },
              String(conversation.unread),
            )
          : null,
      ),
    );
  }
}

/** Everything the sidebar shows, as one string: the sidebar is drawn again only when it changes. Times are shown
 *  to the minute ("active 5 minutes ago"), so the minute is part of it. */
function sidebarSignature(state: ChatState, now: number): string {
  return JSON.stringify([
    state.me,
    state.address,
    state.rich,
    state.current,
    [...state.conversations.values()].map((c) => [c.key, c.name, c.unread]),
    state.rooms,
    state.hosting,
    state.bans,
    Math.floor(now / 60_000),
  ]);
}

/** "3 online · active 5 minutes ago" for a room one is in, from the host's room list (null before it came). */
export function roomDetails(state: ChatState, name: string, now: number): string | null {
  const room = state.rooms.find((info) => roomKey(info.name) === roomKey(name));
  return room ? `${room.members} online · ${activeAgo(room.lastActive, now)}` : null;
}
