// Boots the UI: the start screen until the user hosts or joins, then the chat screen, fed by engine events.
import './styles.css';
import { ChatView, type AttachmentView } from './views/chat';
import { closeDialog } from './views/close-dialog';
import { settingsDialog } from './views/settings';
import { applyTheme, startTheming } from './theme';
import { startScreen } from './views/start';
import { transport } from './platform';
import { asTransportError, type JoinTarget, type Transport } from './transport-types';
import { FileSending } from './file-sending';
import {
  addOlder,
  addPending,
  apply,
  conversation,
  forgetRoom,
  newChatState,
  newestSeq,
  notifyLevel,
  oldestSeq,
  open,
  placeOf,
  roomKey,
  setNotify,
  totalUnread,
  LOBBY,
  type ChatState,
  type Conversation,
} from './store';
import type { AnyMessage, Place, RoomJoined, SettingsView, UiEvent } from './bindings';
import type { KeyActions } from './views/identity';

const NAME_KEY = 'banter.name';
/** Where the port hosted on last was kept before the app's settings kept it: read once, for an upgrade. */
const PORT_KEY = 'banter.hostPort';
/** Set while a browser guest is in the chat, so that a reload rejoins instead of asking again. */
const JOINED_KEY = 'banter.joined';
/** Messages fetched per scroll back. */
const OLDER_PAGE = 50;

class App {
  private state: ChatState | null = null;
  /** True from the moment the user asks to host or join until the chat screen shows: only then do events count. */
  private joining = false;
  private view: ChatView | null = null;
  private readonly attachments = new Map<string, AttachmentView>();
  private settings: SettingsView | null = null;
  private renderQueued = false;
  /** Stops the start screen's network list; called when the chat screen replaces it. */
  private closeStart: (() => void) | null = null;
  private readonly keys: KeyActions = {
    copy: (text) => this.transport.copyText(text),
    setKey: async (key) => {
      try {
        this.settings = await this.transport.setUserKey(key);
        return this.settings;
      } catch (error) {
        throw asTransportError(error);
      }
    },
  };

  private readonly files: FileSending;

  constructor(
    private readonly root: HTMLElement,
    private readonly transport: Transport,
  ) {
    this.files = new FileSending(
      transport,
      () => this.state,
      () => this.render(),
    );
  }

  async start(): Promise<void> {
    await this.transport.onEvent((event) => this.onEvent(event));
    // Typing indicators expire on their own; a slow tick keeps them honest without events.
    window.setInterval(() => {
      if (!this.view || !this.state) return;
      this.view.renderTyping(this.state, Date.now());
      // Finished uploads leave the transfer list after a moment, without an event of their own.
      if (this.state.transfers.size > 0) this.schedule();
    }, 2000);
    await this.showStart();
  }

  private async showStart(): Promise<void> {
    this.state = null;
    this.view = null;
    this.joining = false;
    for (const view of this.attachments.values()) if (view.state === 'ready') URL.revokeObjectURL(view.url);
    this.attachments.clear();
    const settings = await this.transport.settings().catch(() => null);
    this.settings = settings;
    if (settings) applyTheme(settings.theme);
    const join = async (address: string, name: string, accessCode: string, target?: JoinTarget) => {
      const joined = await this.joinWith(() => this.transport.connect(address, name, accessCode, target));
      if (!this.transport.canHost) sessionStorage.setItem(JOINED_KEY, '1');
      this.enterChat(name, (state) => (state.address = joined));
    };
    const savedName = settings?.name || (localStorage.getItem(NAME_KEY) ?? '');
    const screen = startScreen(
      {
        host: async (name, port, requireCode, advertise) => {
          const info = await this.joinWith(() => this.transport.hostStart(name, port, requireCode, advertise));
          this.settings = await this.transport.settings().catch(() => this.settings);
          this.enterChat(name, (state) => {
            state.hosting = info;
            // Bans outlive the host: the panel lists those it kept.
            state.bans = info.bans;
          });
        },
        join,
        openSettings: () => void this.openSettings(),
      },
      {
        canHost: this.transport.canHost,
        fixedAddress: this.transport.fixedAddress,
        recent: settings?.recentAddresses ?? [],
        savedName,
        savedPort: settings?.hostPort ?? (Number(localStorage.getItem(PORT_KEY)) || null),
        presetCode: this.transport.presetCode,
        settings,
        keys: this.keys,
        watchNetwork: this.transport.canHost ? (handler) => this.transport.watchNetwork(handler) : null,
      },
    );
    this.closeStart?.();
    this.closeStart = screen.close;
    this.root.replaceChildren(screen.element);
    screen.element.querySelector<HTMLInputElement>('input')?.focus();
    if (this.transport.fixedAddress && savedName && sessionStorage.getItem(JOINED_KEY)) {
      // A reload in the middle of a chat: back in, with the lobby's history, without asking again.
      await join(this.transport.fixedAddress, savedName, this.transport.presetCode).catch(() =>
        sessionStorage.removeItem(JOINED_KEY),
      );
    }
  }

  /** Runs a host or join command with events counted from its start; a failure forgets what they built. */
  private async joinWith<T>(command: () => Promise<T>): Promise<T> {
    this.state = null;
    this.joining = true;
    try {
      return await command();
    } catch (error) {
      this.joining = false;
      this.state = null;
      throw error;
    }
  }

  private enterChat(name: string, configure: (state: ChatState) => void): void {
    this.closeStart?.();
    this.closeStart = null;
    localStorage.setItem(NAME_KEY, name.trim());
    this.joining = false;
    // Events that arrived while the command was finishing were applied to a fresh state already.
    const state = this.state ?? newChatState(name.trim());
    // A plain server sends no welcome to name us.
    state.me ||= name.trim();
    configure(state);
    this.state = state;
    this.view = new ChatView({
      open: (key) => this.openConversation(key),
      send: (text) => this.send(text),
      attach: async () => this.files.send(await this.transport.pickFiles()),
      sendBlobs: (files) => this.files.sendBlobs(files),
      fileSource: (file) => this.transport.fileSource(file),
      saveFile: (file) => this.transport.saveFile(file),
      transfers: {
        cancel: (id) => this.transport.cancelTransfer(id),
        retry: (id) => this.transport.retryTransfer(id),
        dismiss: (id) => {
          state.transfers.delete(id);
          this.render();
        },
        showInFolder: this.transport.canShowInFolder ? (id) => this.transport.showInFolder(id) : null,
      },
      photos: {
        smaller: () => this.files.answerPhotoOffer(true),
        originals: () => this.files.answerPhotoOffer(false),
        dismiss: () => {
          state.photoOffer = null;
          this.render();
        },
      },
      createRoom: async (room) => this.enterRoom(await this.transport.createRoom(room)),
      joinRoom: async (room) => this.enterRoom(await this.transport.joinRoom(room)),
      leaveRoom: async (room) => {
        await this.transport.leaveRoom(room);
        forgetRoom(state, room);
        this.schedule();
      },
      typing: (active) => {
        const current = state.conversations.get(state.current);
        if (current?.kind === 'room' && state.rich) void this.transport.setTyping(current.name, active).catch(() => {});
      },
      copy: (text) => this.transport.copyText(text),
      stopHosting: async () => {
        await this.transport.hostStop();
        await this.showStart();
      },
      leaveChat: async () => {
        sessionStorage.removeItem(JOINED_KEY);
        await this.transport.disconnect();
        await this.showStart();
      },
      attachment: (id) => this.attachment(id),
      loadOlder: (key) => this.loadOlder(key),
      reply: async (seq, text) => {
        const [target, place] = this.currentPlace();
        const clientId = await this.transport.sendReply(place, seq, text);
        addPending(state, target.key, clientId, text, Date.now());
        this.schedule();
      },
      // The answer is the message as it is now; the room hears the same change, which then changes nothing here.
      edit: async (seq, text) => this.changed(await this.transport.editMessage(this.currentPlace()[1], seq, text)),
      deleteMessage: async (seq, asOwner) => {
        const place = this.currentPlace()[1];
        this.changed(
          asOwner && place.kind === 'room'
            ? await this.transport.hostDeleteMessage(place.room, seq)
            : await this.transport.deleteMessage(place, seq),
        );
      },
      react: async (seq, emoji, on) => this.changed(await this.transport.react(this.currentPlace()[1], seq, emoji, on)),
      rerender: () => this.render(),
      setNotify: async (room, level) => {
        setNotify(state, await this.transport.setNotify(room, level));
        this.render();
      },
      openLink: (url) => void this.transport.openLink(url).catch(() => {}),
      search: (request) => this.transport.search(request),
      openSettings: () => void this.openSettings(),
      moderation: {
        kick: async (name) => {
          await this.transport.hostKick(name);
        },
        askBan: (name) => {
          state.banning = name;
          this.render();
        },
        ban: async (name, minutes) => {
          state.bans = await this.transport.hostBan(name, minutes);
          state.banning = null;
          this.render();
        },
        unban: async (name) => {
          state.bans = await this.transport.hostUnban(name);
          this.render();
        },
        askDelete: (room) => {
          state.deleting = room;
          this.render();
        },
        deleteRoom: async (room) => {
          await this.transport.hostDeleteRoom(room);
          // The host's notice (roomDeleted) takes the room away here as for everyone else.
          state.deleting = null;
          this.render();
        },
        releaseName: async (name) => {
          const freed = await this.transport.hostReleaseName(name);
          return `“${freed}” is free: the next person to use it keeps it.`;
        },
      },
    });
    this.root.replaceChildren(this.view.root);
    this.render();
    this.view.focusComposer();
    this.installShortcuts();
  }

  private enterRoom(joined: RoomJoined): void {
    if (!this.state) return;
    apply(this.state, { type: 'joined', joined }, Date.now());
    this.openConversation(roomKey(joined.room));
  }

  private openConversation(key: string): void {
    if (!this.state) return;
    this.view?.conversationChanging();
    if (!this.state.conversations.has(key) && key.startsWith('dm:')) {
      const wanted = key.slice(3);
      const person = this.state.users.find((user) => user.name.toLowerCase() === wanted);
      conversation(this.state, 'dm', person?.name ?? wanted);
    }
    open(this.state, key);
    this.render();
    this.view?.focusComposer();
  }

  private async send(text: string): Promise<void> {
    const state = this.state;
    const current = state?.conversations.get(state.current);
    if (!state || !current) return;
    const clientId =
      current.kind === 'room'
        ? await this.transport.sendMessage(current.name, text)
        : await this.transport.sendDirect(current.name, text);
    addPending(state, current.key, clientId, text, Date.now());
    this.schedule();
  }

  /** The open conversation, which must be a room (message actions happen in rooms). */
  /** The conversation shown, and where its messages are for the host. */
  private currentPlace(): [Conversation, Place] {
    const current = this.state?.conversations.get(this.state.current);
    const place = current ? placeOf(current) : null;
    if (!current || !place) throw new Error('Nothing has been said here yet.');
    return [current, place];
  }

  private changed(message: AnyMessage): void {
    if (!this.state) return;
    const event: UiEvent = 'room' in message ? { type: 'changed', message } : { type: 'directChanged', message };
    apply(this.state, event, Date.now());
    this.render();
  }

  private attachment(id: string): AttachmentView {
    const known = this.attachments.get(id);
    if (known) return known;
    this.attachments.set(id, { state: 'loading' });
    this.transport
      .fetchAttachment(id)
      .then((bytes) =>
        this.attachments.set(id, { state: 'ready', url: URL.createObjectURL(new Blob([bytes.slice().buffer])) }),
      )
      // Not fetched again on every render: the host evicted it (past its storage quota) or cannot be reached.
      .catch((error) => {
        const failure = asTransportError(error);
        const reason =
          failure.kind === 'not_found'
            ? 'This image is no longer available on the host.'
            : `The image could not be loaded: ${failure.message}`;
        this.attachments.set(id, { state: 'unavailable', reason });
      })
      .finally(() => this.schedule());
    return { state: 'loading' };
  }

  /** Fetches the messages before the oldest one shown in a conversation. */
  private async loadOlder(key: string): Promise<void> {
    const state = this.state;
    const target = state?.conversations.get(key);
    if (!state || !target || !target.olderAvailable) return;
    const before = oldestSeq(target);
    if (before === null || before <= 1) {
      target.olderAvailable = false;
      return;
    }
    try {
      const page =
        target.kind === 'room'
          ? await this.transport.historyPage(target.name, before, OLDER_PAGE)
          : await this.transport.dmHistory(target.name, before, OLDER_PAGE);
      addOlder(state, key, page.messages, OLDER_PAGE);
    } catch {
      // Offline, or the room is gone: scrolling up tries again later.
    }
    this.render();
  }

  private onEvent(event: UiEvent): void {
    // Asked on any screen: the window stays open until the question is answered.
    if (event.type === 'closeRequested') {
      this.askBeforeClosing();
      return;
    }
    // Between chats (on the start screen) late events of the last session are not this chat's.
    if (!this.view && !this.joining) return;
    if (!this.state) {
      // The first events of a session (its status, the welcome) can arrive before the join command returns.
      this.state = newChatState('');
    }
    apply(this.state, event, Date.now());
    if (event.type === 'filesDropped') {
      const shown = this.view;
      this.files.send(event.files).catch((error: Error) => shown?.showError(error.message));
    }
    if (event.type === 'typing') {
      // A typing notice changes only the typing line: nothing else is drawn again.
      this.view?.renderTyping(this.state, Date.now());
      return;
    }
    if (this.state.current !== roomKey(LOBBY) && !this.state.conversations.has(this.state.current)) {
      open(this.state, roomKey(LOBBY));
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    if (this.state && this.view) {
      const current = this.state.conversations.get(this.state.current);
      if (current && document.hasFocus()) {
        current.unread = 0;
        this.markRead(current);
      }
      this.view.render(this.state, Date.now());
      const unread = totalUnread(this.state);
      if (unread !== this.shownUnread) {
        this.shownUnread = unread;
        void this.transport.showUnread(unread).catch(() => {});
      }
    }
  }

  private closeQuestion: HTMLElement | null = null;

  /** The window was closed while hosting: ask, since closing would end the chat for everyone in it. */
  private askBeforeClosing(): void {
    if (this.closeQuestion?.isConnected) return;
    const others = Math.max(0, (this.state?.users.length ?? 1) - 1);
    const question = closeDialog(others, {
      stopAndQuit: () => this.transport.quit(),
      keep: () => {
        question.remove();
        this.view?.focusComposer();
      },
    });
    this.closeQuestion = question;
    document.body.append(question);
  }

  private settingsOpen: HTMLElement | null = null;

  /** Opens Settings over whatever is shown; closing it gives the keyboard back where it was. */
  private async openSettings(): Promise<void> {
    if (this.settingsOpen) return;
    const settings = this.settings ?? (await this.transport.settings());
    const state = this.state;
    const rooms = state?.rich ? [...state.conversations.values()].filter((c) => c.kind === 'room') : [];
    const chat =
      state && this.view
        ? {
            me: state.me,
            rooms: rooms.map((room) => ({ name: room.name, level: notifyLevel(state, room.name) })),
            hostingPort: state.hosting?.port ?? null,
          }
        : null;
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const onStart = !this.view;
    const dialog = settingsDialog(
      { settings, canHost: this.transport.canHost, chat },
      {
        update: async (update) => {
          try {
            this.settings = await this.transport.updateSettings(update);
            return this.settings;
          } catch (error) {
            throw asTransportError(error);
          }
        },
        showTheme: (theme) => applyTheme(theme),
        keys: this.keys,
        setNotify: async (room, level) => {
          if (!this.state) return;
          setNotify(this.state, await this.transport.setNotify(room, level));
          this.render();
        },
        close: () => {
          dialog.remove();
          this.settingsOpen = null;
          // The start screen is drawn again with what changed (the name, the port); the chat needs nothing.
          if (onStart && !this.view && !this.joining) void this.showStart();
          else returnTo?.focus();
        },
      },
    );
    this.settingsOpen = dialog;
    document.body.append(dialog);
  }

  private shownUnread = -1;

  /** A room or conversation read here is read on the user's other devices too: the host keeps the mark. */
  private markRead(target: Conversation): void {
    const place = placeOf(target);
    if (!place || !this.state?.rich) return;
    const newest = newestSeq(target);
    if (newest <= target.readSeq) return;
    target.readSeq = newest;
    void this.transport.markRead(place, newest).catch(() => {});
  }

  private shortcutsInstalled = false;

  /** Alt+Up and Alt+Down move between conversations. */
  private installShortcuts(): void {
    if (this.shortcutsInstalled) return;
    this.shortcutsInstalled = true;
    document.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && (event.key === 'k' || event.key === 'f') && this.state?.rich) {
        event.preventDefault();
        this.view?.openSearch();
        return;
      }
      if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') || !this.state) return;
      event.preventDefault();
      const keys = [...this.state.conversations.keys()];
      const index = keys.indexOf(this.state.current);
      const next = keys[(index + (event.key === 'ArrowDown' ? 1 : keys.length - 1)) % keys.length];
      if (next) this.openConversation(next);
    });
  }
}

startTheming();
const root = document.getElementById('app');
if (root) void new App(root, transport).start();
