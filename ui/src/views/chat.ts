// The chat screen: conversations on the left, the open conversation in the middle, people on the right. Lists are
// rebuilt from the state on every change; the composer (views/composer.ts) is built once, so what the user is
// typing survives everything (reconnects included).
import type { SearchHit, SearchRequest, SearchResults, SettingsView } from '../bindings';
import type { ChatState, Conversation } from '../store';
import { LOBBY, dmKey, oldestSeq, roomKey, typingNow } from '../store';
import { el, replace } from '../dom';
import { activeAgo, continuesGroup, typingLine } from '../format';
import { keyPanel, type KeyActions } from './identity';
import { avatar, messageRow, type AttachmentView, type MessageActions } from './message';
import { Composer } from './composer';
import { SearchPanel } from './search';
import { mentionable } from '../markup';
import {
  banButton,
  banForm,
  bansSection,
  deleteRoomControl,
  releaseNameForm,
  type ModerationActions,
} from './moderation';

export type { AttachmentView } from './message';

/** Pages of older messages fetched at most to find the message a quote or a search hit points at (50 messages
 *  each: the last 10,000 messages of a conversation). */
const JUMP_PAGES = 200;

export interface ChatActions {
  open(key: string): void;
  send(text: string): Promise<void>;
  sendImage(file: File): Promise<void>;
  createRoom(name: string): Promise<void>;
  joinRoom(name: string): Promise<void>;
  leaveRoom(name: string): Promise<void>;
  typing(active: boolean): void;
  copy(text: string): Promise<void>;
  stopHosting(): Promise<void>;
  leaveChat(): Promise<void>;
  /** An attachment's object URL, or why there is none yet (the view is rendered again when it changes). */
  attachment(id: string): AttachmentView;
  /** Fetches older messages of a conversation; the view is rendered again when they are in. */
  loadOlder(key: string): Promise<void>;
  /** The actions on a message of the open room. */
  reply(seq: number, text: string): Promise<void>;
  edit(seq: number, text: string): Promise<void>;
  /** Deletes a message: the user's own, or as the host's owner anyone's. */
  deleteMessage(seq: number, asOwner: boolean): Promise<void>;
  react(seq: number, emoji: string, on: boolean): Promise<void>;
  /** Searches every room and the user's direct messages. */
  search(request: SearchRequest): Promise<SearchResults>;
  /** Opens a link from a message outside the app. */
  openLink(url: string): void;
  /** Asks for the view to be drawn again (after a change of its own state). */
  rerender(): void;
  /** The user's key, for the key panel. */
  settings(): SettingsView | null;
  keys: KeyActions;
  moderation: ModerationActions;
}

export class ChatView {
  readonly root: HTMLElement;
  private readonly sidebar = el('nav', { class: 'sidebar', attrs: { 'aria-label': 'Conversations' } });
  private readonly header = el('header', { class: 'conversation-header' });
  private readonly banner = el('div', { class: 'banner', testid: 'banner', attrs: { role: 'status', hidden: '' } });
  private readonly messages = el('ol', { class: 'messages', testid: 'messages', attrs: { 'aria-live': 'polite' } });
  private readonly typingIndicator = el('div', { class: 'typing', testid: 'typing' });
  private readonly members = el('aside', { class: 'members', attrs: { 'aria-label': 'People' } });
  private readonly composerError = el('p', { class: 'composer-error', attrs: { role: 'alert' } });
  private readonly roomInput = el('input', {
    testid: 'room-new-input',
    attrs: { placeholder: 'New room', maxlength: '48', 'aria-label': 'New room name' },
  });
  private roomForm: HTMLFormElement | null = null;
  private renderedKey = '';
  private keyPanel: HTMLElement | null = null;
  private releaseForm: HTMLElement | null = null;
  /** The people list is open over the conversation (narrow windows only; wide ones always show it). */
  private peopleOpen = false;
  /** Set while older messages are being put above the ones shown: the reader's place must not move. */
  private anchor: { key: string; fromBottom: number } | null = null;
  /** The message whose reaction picker, or whose deletion question, is open. */
  private picking: number | null = null;
  private confirming: number | null = null;
  private lastState: ChatState | null = null;
  private readonly messageActions: MessageActions;
  private readonly searchPanel: SearchPanel;
  private readonly composer: Composer;

  constructor(private readonly actions: ChatActions) {
    this.composer = new Composer(
      {
        send: (text) => this.actions.send(text),
        reply: (seq, text) => this.actions.reply(seq, text),
        edit: (seq, text) => this.actions.edit(seq, text),
        sendImage: (file) => this.actions.sendImage(file),
        typing: (active) => this.actions.typing(active),
        showError: (message) => (this.composerError.textContent = message),
        rerender: () => this.actions.rerender(),
      },
      () => ({ state: this.lastState, current: this.lastState?.conversations.get(this.renderedKey) }),
    );
    this.messages.addEventListener('scroll', () => {
      if (this.messages.scrollTop < 80) this.requestOlder();
    });
    this.searchPanel = new SearchPanel({
      search: (request) => this.actions.search(request),
      pick: (hit) => void this.openHit(hit),
    });
    const main = el(
      'section',
      { class: 'conversation' },
      this.searchPanel.root,
      this.header,
      this.banner,
      this.messages,
      this.typingIndicator,
      this.composerError,
      this.composer.mentionList,
      this.composer.composerContext,
      this.composer.bar,
    );
    this.messageActions = {
      reply: (item) => this.composer.start('reply', item),
      edit: (item) => this.composer.start('edit', item),
      pick: (seq) => {
        this.picking = seq;
        this.confirming = null;
        this.actions.rerender();
      },
      confirmDelete: (seq) => {
        this.confirming = seq;
        this.picking = null;
        this.actions.rerender();
      },
      remove: (item) =>
        this.guard(async () => {
          const mine = item.from.toLowerCase() === (this.lastState?.me ?? '').toLowerCase();
          await this.actions.deleteMessage(item.seq, !mine);
          this.confirming = null;
          this.actions.rerender();
        }),
      react: (item, emoji, on) =>
        this.guard(async () => {
          await this.actions.react(item.seq, emoji, on);
          this.picking = null;
          this.actions.rerender();
        }),
      jumpTo: (seq) => void this.jumpTo(seq),
      openLink: (url) => this.actions.openLink(url),
      attachment: (id) => this.actions.attachment(id),
    };
    this.root = el('div', { class: 'chat', testid: 'chat-screen' }, this.sidebar, main, this.members);
  }

  /** Opens the search (Ctrl+K, Ctrl+F, or the header's button). */
  openSearch(): void {
    this.searchPanel.open();
  }

  /** Opens a search hit's conversation (joining its room if need be) and shows the message there. */
  private async openHit(hit: SearchHit): Promise<void> {
    await this.guard(async () => {
      if (hit.room) {
        const key = roomKey(hit.room);
        if (this.lastState?.conversations.has(key)) this.actions.open(key);
        else await this.actions.joinRoom(hit.room);
      } else if (hit.with) {
        this.actions.open(dmKey(hit.with));
      }
      await this.jumpTo(hit.seq);
    });
  }

  /** Puts the keyboard in the composer. */
  focusComposer(): void {
    this.composer.focus();
  }

  render(state: ChatState, now: number): void {
    this.lastState = state;
    const current = state.conversations.get(state.current);
    this.renderSidebar(state);
    this.renderBanner(state);
    if (!current) return;
    this.renderHeader(state, current);
    this.renderMessages(state, current);
    this.renderTyping(state, now);
    this.renderMembers(state, current);
    this.roomInput.maxLength = state.limits.maxRoomChars;
    this.composer.render(state, current);
  }

  private togglePeople(open: boolean): void {
    this.peopleOpen = open;
    this.root.classList.toggle('people-open', open);
    this.actions.rerender();
  }

  /** Scrolls to a message of the open conversation and marks it for a moment, fetching older pages until it is
   *  shown (a bounded number). */
  private async jumpTo(seq: number): Promise<void> {
    const key = this.renderedKey;
    for (let page = 0; page <= JUMP_PAGES; page += 1) {
      const row = this.messages.querySelector<HTMLElement>(`li[data-seq="${seq}"]`);
      if (row) {
        row.scrollIntoView({ block: 'center' });
        row.classList.add('highlight');
        window.setTimeout(() => row.classList.remove('highlight'), 2000);
        return;
      }
      const current = this.lastState?.conversations.get(key);
      if (!current || !current.olderAvailable || (oldestSeq(current) ?? 0) <= seq || this.renderedKey !== key) break;
      await this.actions.loadOlder(key);
    }
    this.composerError.textContent = 'That message is no longer in this conversation.';
  }

  /** Only the typing line: indicators expire on their own, without any event to trigger a render. */
  renderTyping(state: ChatState, now: number): void {
    const current = state.conversations.get(state.current);
    const typists = current?.kind === 'room' ? typingNow(current, now) : [];
    this.typingIndicator.textContent = typingLine(typists);
  }

  /** Called before another conversation opens: typing notices belong to the one being left. */
  conversationChanging(): void {
    this.composer.stopTyping();
  }

  /** Asks for older messages of the open conversation, keeping the reader's place. */
  private requestOlder(): void {
    const key = this.renderedKey;
    if (!key || this.anchor) return;
    this.anchor = { key, fromBottom: this.messages.scrollHeight - this.messages.scrollTop };
    void this.actions.loadOlder(key).finally(() => {
      // Rendered again by then; the anchor is released once the reader's place is restored.
      window.requestAnimationFrame(() => (this.anchor = null));
    });
  }

  private renderSidebar(state: ChatState): void {
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
    const settings = this.actions.settings();
    if (settings) {
      // Built once and moved: it may be open, with a key half typed.
      this.keyPanel ??= keyPanel(
        settings,
        this.actions.keys,
        'Your key holds your name on every host. Copy it to another device to be you there too.',
      );
      sections.push(this.keyPanel);
    }
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
    replace(this.sidebar, ...sections);
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

  private renderBanner(state: ChatState): void {
    const status = state.status;
    let text = '';
    let tone = 'warn';
    if (state.closing && status?.state !== 'connected') text = state.closing;
    if (status?.state === 'connecting') text = 'Connecting…';
    if (status?.state === 'reconnecting' && status.endedByHost) {
      text =
        'The host ended the chat. Banter will reconnect when it is back; what you send meanwhile is delivered then.';
      tone = 'info';
    } else if (status?.state === 'reconnecting') {
      text = `Connection lost (${status.reason}). Reconnecting in ${Math.ceil(status.retryInMs / 1000)} s… What you send is kept and delivered once back.`;
    }
    if (status?.state === 'closed') {
      text = `Disconnected: ${status.reason}`;
      tone = 'error';
    }
    if (status?.state === 'connected' && !state.rich) {
      text = 'This is a plain Socket.IO server: only the lobby is available.';
      tone = 'info';
    }
    this.banner.textContent = text;
    this.banner.className = `banner ${tone}`;
    this.banner.hidden = text === '';
  }

  private renderHeader(state: ChatState, current: Conversation): void {
    const title = current.kind === 'room' ? `# ${current.name}` : current.name;
    // The pushed room list is authoritative; the member list only covers arrivals seen since joining.
    const count =
      state.rooms.find((room) => room.name.toLowerCase() === current.name.toLowerCase())?.members ??
      current.members.length;
    const subtitle = current.kind === 'room' ? (count === 1 ? '1 member' : `${count} members`) : 'Direct message';
    const leave =
      current.kind === 'room' && current.name !== LOBBY
        ? el(
            'button',
            {
              class: 'link-button',
              testid: 'leave-room',
              attrs: { type: 'button' },
              on: { click: () => void this.guard(() => this.actions.leaveRoom(current.name)) },
            },
            'Leave room',
          )
        : null;
    // The host's owner may delete any room but the lobby; the host refuses everyone else.
    const remove =
      state.hosting && current.kind === 'room' && current.name !== LOBBY
        ? deleteRoomControl(current.name, state.deleting === current.name, this.actions.moderation, (work) =>
            this.guard(work),
          )
        : null;
    // Below 900 px there is no room for the people list beside the conversation: it opens over it.
    const search = state.rich
      ? el(
          'button',
          {
            class: 'link-button',
            testid: 'search-open',
            attrs: { type: 'button', title: 'Search messages (Ctrl+K)' },
            on: { click: () => this.openSearch() },
          },
          'Search',
        )
      : null;
    const people = state.rich
      ? el(
          'button',
          {
            class: 'link-button people-toggle',
            testid: 'people-toggle',
            attrs: { type: 'button', 'aria-expanded': String(this.peopleOpen) },
            on: { click: () => this.togglePeople(!this.peopleOpen) },
          },
          `People (${state.users.length})`,
        )
      : null;
    replace(
      this.header,
      el('div', {}, el('h2', { testid: 'conversation-title' }, title), el('span', { class: 'subtitle' }, subtitle)),
      el('div', { class: 'header-actions' }, search, people, leave, remove),
    );
  }

  private renderMessages(state: ChatState, current: Conversation): void {
    const atBottom = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 40;
    const switched = this.renderedKey !== current.key;
    this.renderedKey = current.key;
    if (current.items.length === 0) {
      const hint =
        current.kind === 'room'
          ? `No messages in #${current.name} yet. Say hello!`
          : `This is the start of your conversation with ${current.name}.`;
      replace(this.messages, el('li', { class: 'empty-state' }, hint));
      return;
    }
    const rows: HTMLElement[] = [];
    if (current.olderAvailable && (oldestSeq(current) ?? 0) > 1) {
      rows.push(
        el(
          'li',
          { class: 'older' },
          el(
            'button',
            {
              class: 'link-button',
              testid: 'load-older',
              attrs: { type: 'button' },
              on: { click: () => this.requestOlder() },
            },
            this.anchor ? 'Loading older messages…' : 'Show older messages',
          ),
        ),
      );
    }
    const names = mentionable([state.me, ...current.members, ...state.users.map((user) => user.name)]);
    let lineDrawn = current.newAfter === null;
    current.items.forEach((item, index) => {
      if (item.kind === 'notice') {
        rows.push(el('li', { class: 'notice', testid: 'notice' }, item.text));
        return;
      }
      // The "new messages" line: before the first message past the read mark the conversation was opened with.
      const startsNew = !lineDrawn && item.seq > (current.newAfter ?? 0);
      if (startsNew) {
        lineDrawn = true;
        rows.push(
          el('li', { class: 'new-line', testid: 'new-messages', attrs: { role: 'separator' } }, 'New messages'),
        );
      }
      const grouped =
        !startsNew &&
        continuesGroup(current.items[index - 1] as { kind: string; from?: string; ts: number } | undefined, item);
      const context = {
        me: state.me,
        inRoom: current.kind === 'room' && state.rich,
        owner: state.hosting !== null,
        picking: this.picking,
        confirming: this.confirming,
        names,
      };
      rows.push(messageRow(context, item, grouped, this.messageActions));
    });
    replace(this.messages, ...rows);
    if (this.anchor && this.anchor.key === current.key && !switched) {
      this.messages.scrollTop = this.messages.scrollHeight - this.anchor.fromBottom;
    } else if (atBottom || switched) {
      this.messages.scrollTop = this.messages.scrollHeight;
    }
  }

  private renderMembers(state: ChatState, current: Conversation): void {
    if (!state.rich) {
      replace(this.members);
      this.members.hidden = true;
      return;
    }
    this.members.hidden = false;
    // While disconnected nobody's presence is known: the list shows who was here, greyed, not a green dot.
    const known = state.status?.state === 'connected';
    const inRoom = new Set(current.kind === 'room' ? current.members : []);
    const people = [...state.users].sort((a, b) => a.name.localeCompare(b.name));
    const guard = (work: () => Promise<void>) => this.guard(work);
    const row = (name: string, note: string) => {
      const self = name.toLowerCase() === state.me.toLowerCase();
      // The host's owner can ban anyone but themself.
      const moderated = state.hosting !== null && !self;
      return el(
        'li',
        { class: moderated ? 'moderated' : '' },
        el(
          'button',
          {
            class: 'member',
            testid: `member-${name}`,
            attrs: { type: 'button', title: self ? 'You' : `Message ${name}`, ...(self ? { disabled: '' } : {}) },
            on: {
              click: () => {
                if (this.peopleOpen) this.togglePeople(false);
                this.actions.open(dmKey(name));
              },
            },
          },
          avatar(name),
          el('span', { class: 'member-name' }, self ? `${name} (you)` : name),
          note ? el('span', { class: 'member-note' }, note) : null,
          el('span', {
            class: known ? 'presence' : 'presence unknown',
            attrs: {
              'aria-label': known ? 'online' : 'unknown while disconnected',
              title: known ? 'Online' : 'Unknown while disconnected',
            },
          }),
        ),
        moderated ? banButton(name, this.actions.moderation) : null,
        moderated && state.banning === name ? banForm(name, this.actions.moderation, guard) : null,
      );
    };
    replace(
      this.members,
      el(
        'button',
        {
          class: 'link-button people-close',
          testid: 'people-close',
          attrs: { type: 'button', 'aria-label': 'Close the people list' },
          on: { click: () => this.togglePeople(false) },
        },
        'Close',
      ),
      el(
        'h3',
        { class: 'sidebar-title', testid: 'people-title' },
        known ? `People — ${people.length} online` : 'People',
      ),
      known
        ? null
        : el(
            'p',
            { class: 'empty-hint', testid: 'presence-unknown' },
            'Who is online is unknown until the connection is back.',
          ),
      people.length
        ? el(
            'ul',
            { class: 'member-list' },
            ...people.map((user) =>
              row(user.name, current.kind === 'room' && inRoom.has(user.name) && current.name !== LOBBY ? 'here' : ''),
            ),
          )
        : el('p', { class: 'empty-hint' }, 'Nobody else is here yet.'),
    );
  }

  private async guard(action: () => Promise<void>): Promise<void> {
    this.composerError.textContent = '';
    try {
      await action();
    } catch (error) {
      this.composerError.textContent = (error as Error).message;
    }
  }
}

/** "3 online · active 5 minutes ago" for a room one is in, from the host's room list (null before it came). */
export function roomDetails(state: ChatState, name: string, now: number): string | null {
  const room = state.rooms.find((info) => roomKey(info.name) === roomKey(name));
  return room ? `${room.members} online · ${activeAgo(room.lastActive, now)}` : null;
}
