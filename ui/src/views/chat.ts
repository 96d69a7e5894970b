// The chat screen: conversations on the left (views/sidebar.ts), the open conversation in the middle (its header,
// the message list of views/message-list.ts, the typing line and the composer), people on the right
// (views/people.ts). Each part is drawn again only when what it shows changed, and the message list row by row;
// the composer (views/composer.ts) is built once, so what the user is typing survives everything (reconnects
// included).
import type { FileInfo, NotifyLevel, SearchHit, SearchRequest, SearchResults } from '../bindings';
import type { ChatState, Conversation } from '../store';
import { LOBBY, dmKey, notifyLevel, oldestSeq, placeOf, roomKey, typingNow } from '../store';
import { el, replace } from '../dom';
import { typingLine } from '../format';
import { type AttachmentView, type MessageActions } from './message';
import { MessageList } from './message-list';
import { Composer } from './composer';
import { SearchPanel } from './search';
import { Sidebar, type SidebarActions } from './sidebar';
import { PeopleList } from './people';
import { mentionable } from '../markup';
import { deleteRoomControl } from './moderation';
import { TransferList, type TransferActions } from './transfers';
import { PhotoOffer, type PhotoOfferActions } from './photo-offer';

export type { AttachmentView } from './message';

/** Pages of older messages fetched at most to find the message a quote or a search hit points at (50 messages
 *  each: the last 10,000 messages of a conversation). */
const JUMP_PAGES = 200;

export interface ChatActions extends SidebarActions {
  send(text: string): Promise<void>;
  /** Opens the file picker and sends what is chosen to the open conversation. */
  attach(): Promise<void>;
  /** Sends files the page holds (pasted, or dropped on a browser's page) to the open conversation. */
  sendBlobs(files: File[]): Promise<void>;
  fileSource(file: FileInfo): string;
  saveFile(file: FileInfo): Promise<void>;
  transfers: TransferActions;
  photos: PhotoOfferActions;
  leaveRoom(name: string): Promise<void>;
  typing(active: boolean): void;
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
  /** Sets which messages of a room notify the user, on all their devices. */
  setNotify(room: string, level: NotifyLevel): Promise<void>;
}

/** The choices of a room's notification level, as the header offers them. */
export const NOTIFY_CHOICES: readonly { level: NotifyLevel; label: string }[] = [
  { level: 'all', label: 'Notify: every message' },
  { level: 'mentions', label: 'Notify: mentions' },
  { level: 'nothing', label: 'Notify: nothing' },
];

export class ChatView {
  readonly root: HTMLElement;
  private readonly sidebar: Sidebar;
  private readonly header = el('header', { class: 'conversation-header' });
  private readonly banner = el('div', { class: 'banner', testid: 'banner', attrs: { role: 'status', hidden: '' } });
  private readonly list: MessageList;
  private readonly typingIndicator = el('div', { class: 'typing', testid: 'typing' });
  private readonly people: PeopleList;
  private readonly composerError = el('p', { class: 'composer-error', attrs: { role: 'alert' } });
  private renderedKey = '';
  private drawnHeader = '';
  /** The people list is open over the conversation (narrow windows only; wide ones always show it). */
  private peopleOpen = false;
  /** The message whose reaction picker, or whose deletion question, is open. */
  private picking: number | null = null;
  private confirming: number | null = null;
  private lastState: ChatState | null = null;
  private readonly messageActions: MessageActions;
  private readonly searchPanel: SearchPanel;
  private readonly composer: Composer;
  private readonly transferList: TransferList;
  private readonly photoOffer: PhotoOffer;
  private readonly dropZone = el('div', { class: 'drop-zone', testid: 'drop-zone', attrs: { hidden: '' } });
  /** Drags over a browser's page: enter and leave come for every element crossed, so they are counted. */
  private dragDepth = 0;

  constructor(private readonly actions: ChatActions) {
    this.composer = new Composer(
      {
        send: (text) => this.actions.send(text),
        reply: (seq, text) => this.actions.reply(seq, text),
        edit: (seq, text) => this.actions.edit(seq, text),
        attach: () => this.actions.attach(),
        paste: (files) => this.actions.sendBlobs(files),
        typing: (active) => this.actions.typing(active),
        showError: (message) => (this.composerError.textContent = message),
        rerender: () => this.actions.rerender(),
      },
      () => ({ state: this.lastState, current: this.lastState?.conversations.get(this.renderedKey) }),
    );
    this.list = new MessageList({ loadOlder: () => this.actions.loadOlder(this.renderedKey) });
    this.transferList = new TransferList(actions.transfers);
    this.photoOffer = new PhotoOffer(actions.photos, (work) => this.guard(work));
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
      this.list.root,
      this.list.jump,
      this.dropZone,
      this.typingIndicator,
      this.composerError,
      this.transferList.root,
      this.photoOffer.root,
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
      fileSource: (file) => this.actions.fileSource(file),
      saveFile: (file) => void this.guard(() => this.actions.saveFile(file)),
    };
    this.acceptDrops(main);
    const guard = (work: () => Promise<void>) => this.guard(work);
    this.sidebar = new Sidebar(actions, guard);
    this.people = new PeopleList(
      {
        open: (key) => this.actions.open(key),
        close: () => {
          if (this.peopleOpen) this.togglePeople(false);
        },
        moderation: actions.moderation,
      },
      guard,
    );
    this.root = el('div', { class: 'chat', testid: 'chat-screen' }, this.sidebar.root, main, this.people.root);
  }

  /** Files dragged from the desktop onto a browser's page are sent to the open conversation. (In the app the
   *  window takes drops itself and Rust says so: `dropHover` and `filesDropped`.) */
  private acceptDrops(target: HTMLElement): void {
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    target.addEventListener('dragenter', (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      this.dragDepth += 1;
      this.showDropZone(true);
    });
    target.addEventListener('dragover', (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    });
    target.addEventListener('dragleave', (event) => {
      if (!carriesFiles(event)) return;
      this.dragDepth = Math.max(0, this.dragDepth - 1);
      if (this.dragDepth === 0) this.showDropZone(false);
    });
    target.addEventListener('drop', (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      this.dragDepth = 0;
      this.showDropZone(false);
      const files = [...(event.dataTransfer?.files ?? [])];
      if (files.length > 0) void this.guard(() => this.actions.sendBlobs(files));
    });
  }

  private showDropZone(shown: boolean): void {
    const current = this.lastState?.conversations.get(this.renderedKey);
    const where = current ? (current.kind === 'room' ? `#${current.name}` : current.name) : 'this conversation';
    this.dropZone.textContent = `Drop to send to ${where}`;
    this.dropZone.hidden = !shown;
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

  /** Shows why something the user did failed, under the conversation. */
  showError(message: string): void {
    this.composerError.textContent = message;
  }

  /** Puts the keyboard in the composer. */
  focusComposer(): void {
    this.composer.focus();
  }

  render(state: ChatState, now: number): void {
    this.lastState = state;
    const current = state.conversations.get(state.current);
    this.sidebar.render(state, now);
    this.renderBanner(state);
    if (!current) return;
    this.renderHeader(state, current);
    this.renderMessages(state, current);
    this.renderTyping(state, now);
    this.people.render(state, current);
    this.composer.render(state, current);
    this.transferList.render(state.transfers, now);
    this.photoOffer.render(state);
    if (this.dragDepth === 0) this.showDropZone(state.dropHover);
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
      const row = this.list.reveal(seq);
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
    const signature = JSON.stringify([
      title,
      subtitle,
      state.rich,
      state.hosting !== null,
      state.deleting,
      state.users.length,
      this.peopleOpen,
      current.kind === 'room' ? notifyLevel(state, current.name) : null,
    ]);
    if (signature === this.drawnHeader) return;
    this.drawnHeader = signature;
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
    // Kept by the host for the user, so it is the same on every device; the desktop app raises the notifications.
    const notify =
      state.rich && current.kind === 'room' ? this.notifyControl(current.name, notifyLevel(state, current.name)) : null;
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
      el('div', { class: 'header-actions' }, notify, search, people, leave, remove),
    );
  }

  private renderMessages(state: ChatState, current: Conversation): void {
    this.renderedKey = current.key;
    const names = mentionable([state.me, ...current.members, ...state.users.map((user) => user.name)]);
    const context = {
      me: state.me,
      canAct: state.rich && placeOf(current) !== null,
      owner: state.hosting !== null && current.kind === 'room',
      picking: this.picking,
      confirming: this.confirming,
      names,
      namesKey: names.join('\u0000'),
    };
    this.list.render(current, context, this.messageActions);
  }

  private notifyControl(room: string, level: NotifyLevel): HTMLElement {
    const select = el(
      'select',
      {
        class: 'notify-level',
        testid: 'notify-level',
        attrs: {
          'aria-label': `Notifications for #${room}`,
          title: 'Which messages of this room raise a notification, on all your devices (direct messages always do)',
        },
      },
      ...NOTIFY_CHOICES.map((choice) =>
        el(
          'option',
          { attrs: { value: choice.level, ...(choice.level === level ? { selected: '' } : {}) } },
          choice.label,
        ),
      ),
    );
    select.addEventListener('change', () => {
      const chosen = NOTIFY_CHOICES.find((choice) => choice.level === select.value)?.level ?? 'mentions';
      void this.guard(() => this.actions.setNotify(room, chosen));
    });
    return select;
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
