// The UI's model of the chat and how each event changes it. Pure: no DOM, no Tauri, unit-tested.
import type {
  AnnouncedLimits,
  Attachment,
  BanInfo,
  DirectMessage,
  FileInfo,
  HostInfo,
  Message,
  NotifyLevel,
  NotifySetting,
  Place,
  Quote,
  Reaction,
  RoomInfo,
  SendTo,
  Status,
  UiEvent,
  UserInfo,
} from './bindings';
import { trackTransfer, type TransferItem } from './transfers';
import type { ChosenFile } from './transport-types';

export const LOBBY = 'lobby';
/** How long a typing indicator stays without a fresh notice. */
export const TYPING_TTL_MS = 6000;

export interface MessageItem {
  kind: 'message';
  /** The host's id once known; the client id while pending. */
  id: string;
  clientId: string | null;
  from: string;
  text: string;
  ts: number;
  seq: number;
  attachment: Attachment | null;
  /** A shared file the message carries. */
  file: FileInfo | null;
  pending: boolean;
  /** Why the host has not kept it yet, while it waits to be sent again (a cluster's host that cannot reach its
   *  server); gone once it is kept. */
  waiting?: string;
  /** Why the host refused it, if it did. */
  failed: string | null;
  /** The message this one answers, as it was when this one was read (kept current while both are shown). */
  replyTo: Quote | null;
  replies: number;
  editedAt: number | null;
  deleted: boolean;
  reactions: Reaction[];
  /** The host's change number of this state: a state with a higher one replaces it, a lower one is stale. */
  rev: number;
}

export interface NoticeItem {
  kind: 'notice';
  id: string;
  text: string;
  ts: number;
}

export type ChatItem = MessageItem | NoticeItem;

export interface Conversation {
  key: string;
  kind: 'room' | 'dm';
  /** The room's name, or the other person's. */
  name: string;
  items: ChatItem[];
  unread: number;
  /** How far the user has read it, on any device (the host's read mark). */
  readSeq: number;
  /** A direct conversation's id on the host, once a message of it was seen (null for rooms). */
  conversationId: string | null;
  /** Where the "new messages" line goes: after this number, set when the conversation was opened with unread
   *  messages in it. */
  newAfter: number | null;
  /** Rooms: members by name. */
  members: string[];
  /** Who is typing, with when their indicator expires. */
  typing: Map<string, number>;
  /** Whether the host may have older messages than those shown (false once a page came back short). */
  olderAvailable: boolean;
}

export interface ChatState {
  me: string;
  /** The host's id from its last welcome: another one means another (or a wiped) host. */
  hostId: string | null;
  /** False on a plain Socket.IO server: lobby only. */
  rich: boolean;
  status: Status | null;
  /** Why the host closed the chat, if it did. */
  closing: string | null;
  users: UserInfo[];
  rooms: RoomInfo[];
  conversations: Map<string, Conversation>;
  current: string;
  hosting: HostInfo | null;
  /** While hosting: who is banned, and whose ban form is open in the people list. */
  bans: BanInfo[];
  banning: string | null;
  /** The room whose deletion the host's owner is asked to confirm. */
  deleting: string | null;
  address: string | null;
  /** Outcomes that arrived before their message was shown as pending (the send command had not returned yet). */
  early: Map<string, string | null>;
  /** What the host refuses past, from its welcome (a Banter host's defaults until then). */
  limits: AnnouncedLimits;
  /** Which messages of each room notify the user (by room key; absent: mentions), as the host keeps it for them. */
  notify: Map<string, NotifyLevel>;
  /** This session's uploads and downloads, by id. */
  transfers: Map<string, TransferItem>;
  /** Files are being dragged over the window (the desktop app says so; a browser's page sees it itself). */
  dropHover: boolean;
  /** Photos chosen to send, waiting for the user to say: smaller, or the originals. */
  photoOffer: { to: SendTo; files: ChosenFile[] } | null;
}

/** A Banter host's limits, for the moments before a welcome says what this one's are (and for plain servers). */
export const DEFAULT_LIMITS: AnnouncedLimits = {
  maxMessageChars: 4000,
  maxNameChars: 32,
  maxRoomChars: 48,
  maxAttachmentBytes: 1024 * 1024,
  historyPage: 100,
  maxReactionsPerMessage: 20,
  quoteChars: 120,
  searchPage: 50,
  maxFileBytes: 4 * 1024 ** 3,
};

export function roomKey(name: string): string {
  return `room:${name.toLowerCase()}`;
}

export function dmKey(name: string): string {
  return `dm:${name.toLowerCase()}`;
}

export function newChatState(me: string): ChatState {
  const state: ChatState = {
    me,
    hostId: null,
    rich: true,
    status: null,
    closing: null,
    users: [],
    rooms: [],
    conversations: new Map(),
    current: roomKey(LOBBY),
    hosting: null,
    bans: [],
    banning: null,
    deleting: null,
    address: null,
    early: new Map(),
    limits: DEFAULT_LIMITS,
    notify: new Map(),
    transfers: new Map(),
    dropHover: false,
    photoOffer: null,
  };
  conversation(state, 'room', LOBBY);
  return state;
}

/** The conversation for a room or a person, created on first use. */
export function conversation(state: ChatState, kind: 'room' | 'dm', name: string): Conversation {
  const key = kind === 'room' ? roomKey(name) : dmKey(name);
  let found = state.conversations.get(key);
  if (!found) {
    found = {
      key,
      kind,
      name,
      items: [],
      unread: 0,
      readSeq: 0,
      conversationId: null,
      newAfter: null,
      members: [],
      typing: new Map(),
      olderAvailable: true,
    };
    state.conversations.set(key, found);
  }
  return found;
}

type WireMessage = {
  id: string;
  from: string;
  text: string;
  ts: number;
  clientId?: string | null;
  attachment?: Attachment | null;
  file?: FileInfo | null;
} & Partial<Pick<Message, 'replyTo' | 'replies' | 'editedAt' | 'deleted' | 'reactions' | 'rev'>>;

function fromWire(message: WireMessage, seq: number): MessageItem {
  return {
    kind: 'message',
    id: message.id,
    clientId: message.clientId ?? null,
    from: message.from,
    text: message.text,
    ts: message.ts,
    seq,
    attachment: message.attachment ?? null,
    file: message.file ?? null,
    pending: false,
    failed: null,
    replyTo: message.replyTo ?? null,
    replies: message.replies ?? 0,
    editedAt: message.editedAt ?? null,
    deleted: message.deleted ?? false,
    reactions: message.reactions ?? [],
    rev: message.rev ?? 0,
  };
}

/** Adds or confirms a message: a pending copy with the same client id is replaced, a known id is ignored. */
function upsert(target: Conversation, item: MessageItem): boolean {
  const index = target.items.findIndex(
    (existing) =>
      existing.kind === 'message' &&
      (existing.id === item.id || (item.clientId !== null && existing.clientId === item.clientId)),
  );
  if (index >= 0) {
    const existing = target.items[index] as MessageItem;
    if (existing.pending || existing.seq !== item.seq) {
      // Sent (its acknowledgement may have come first, without a number): it takes its place by the number the
      // host gave it, after what others said meanwhile.
      target.items.splice(index, 1);
      insertInOrder(target, item);
    } else if (existing.rev <= item.rev) {
      // A page read before a change can arrive after it: the newer state stays.
      target.items[index] = item;
    }
    return false;
  }
  insertInOrder(target, item);
  return true;
}

/** Rooms keep the host's order (seq): a message can arrive a little after a later one, and messages still being
 *  sent stay last, below everything the host has numbered. */
function insertInOrder(target: Conversation, item: MessageItem): void {
  let at = target.items.length;
  while (at > 0 && item.seq > 0) {
    const before = target.items[at - 1];
    if (before.kind === 'message' && (before.pending || before.seq > item.seq)) at -= 1;
    else break;
  }
  target.items.splice(at, 0, item);
}

function notice(target: Conversation, text: string, now: number): void {
  target.items.push({ kind: 'notice', id: `notice-${now}-${target.items.length}`, text, ts: now });
}

function countUnread(state: ChatState, target: Conversation, from: string, isNew: boolean): void {
  if (isNew && target.key !== state.current && from.toLowerCase() !== state.me.toLowerCase()) {
    target.unread += 1;
  }
}

function findMessage(state: ChatState, clientId: string): MessageItem | undefined {
  for (const each of state.conversations.values()) {
    for (const item of each.items) {
      if (item.kind === 'message' && item.clientId === clientId) return item;
    }
  }
  return undefined;
}

/** Settles the message with this client id, if it is shown; answers whether it was. Items are replaced, never
 *  changed in place: the view knows a row is current by its item being the same object. */
function settle(state: ChatState, clientId: string, failed: string | null): boolean {
  for (const each of state.conversations.values()) {
    const index = each.items.findIndex((item) => item.kind === 'message' && item.clientId === clientId);
    if (index >= 0) {
      each.items[index] = { ...(each.items[index] as MessageItem), pending: false, waiting: undefined, failed };
      return true;
    }
  }
  return false;
}

/** Marks a pending message as waiting for the host to be able to keep it. */
function hold(state: ChatState, clientId: string, why: string): void {
  for (const each of state.conversations.values()) {
    const index = each.items.findIndex((item) => item.kind === 'message' && item.clientId === clientId);
    const item = each.items[index];
    if (item?.kind === 'message' && item.pending) {
      each.items[index] = { ...item, waiting: why };
      return;
    }
  }
}

/** Shows a message the user just sent, until the host confirms it. */
export function addPending(state: ChatState, key: string, clientId: string, text: string, now: number): void {
  const target = state.conversations.get(key);
  if (!target || findMessage(state, clientId)) return;
  const early = state.early.get(clientId);
  state.early.delete(clientId);
  target.items.push({
    kind: 'message',
    id: clientId,
    clientId,
    from: state.me,
    text,
    ts: now,
    seq: 0,
    attachment: null,
    file: null,
    replyTo: null,
    replies: 0,
    editedAt: null,
    deleted: false,
    reactions: [],
    rev: 0,
    // An outcome that came first settles the message at once: null means delivered, text means refused.
    pending: early === undefined,
    failed: early ?? null,
  });
}

function addRoomMessages(state: ChatState, messages: Message[]): void {
  for (const message of messages) {
    const target = conversation(state, 'room', message.room);
    const isNew = upsert(target, fromWire(message, message.seq));
    countUnread(state, target, message.from, isNew);
    seenActive(state, message);
  }
}

/** The host pushes `lastActive` with the room list, which messages do not send: a message seen moves it forward. */
function seenActive(state: ChatState, message: Message): void {
  const key = roomKey(message.room);
  const room = state.rooms.find((info) => roomKey(info.name) === key);
  if (room && message.ts > room.lastActive) room.lastActive = message.ts;
}

function directTarget(state: ChatState, message: DirectMessage): Conversation {
  const mine = message.from.toLowerCase() === state.me.toLowerCase();
  return conversation(state, 'dm', mine ? message.to : message.from);
}

function addDirects(state: ChatState, messages: DirectMessage[], counted: boolean): void {
  for (const message of messages) {
    const target = directTarget(state, message);
    target.conversationId = message.conversation;
    const isNew = upsert(target, fromWire(message, message.seq));
    if (counted) countUnread(state, target, message.from, isNew);
  }
}

/** Forgets every conversation: the host that had them is not the one answering now. */
function forgetHost(state: ChatState, now: number): void {
  state.conversations.clear();
  state.current = roomKey(LOBBY);
  const lobby = conversation(state, 'room', LOBBY);
  notice(
    lobby,
    'This is not the host you were talking to before (it was replaced or reset): the earlier conversation is not here.',
    now,
  );
}

/** Older messages of a conversation, fetched by scrolling up; `asked` is how many were asked for. */
export function addOlder(state: ChatState, key: string, messages: (Message | DirectMessage)[], asked: number): void {
  const target = state.conversations.get(key);
  if (!target) return;
  for (const message of messages) upsert(target, fromWire(message, message.seq));
  if (messages.length < asked || messages[0]?.seq === 1) target.olderAvailable = false;
}

/** Characters of a message that a reply quotes, as the host cuts them (`limits.quoteChars`). */
const QUOTE_CHARS = 120;

function quoteOf(text: string): string {
  return Array.from(text).slice(0, QUOTE_CHARS).join('');
}

/** The direct conversation shown under this id, if any. */
function directById(state: ChatState, conversation: string): Conversation | undefined {
  for (const each of state.conversations.values()) if (each.conversationId === conversation) return each;
  return undefined;
}

/** Where a conversation is, for the actions on its messages: null for a direct conversation the host has not
 *  numbered yet (nothing was said in it). */
export function placeOf(target: Conversation): Place | null {
  if (target.kind === 'room') return { kind: 'room', room: target.name };
  return target.conversationId === null ? null : { kind: 'dm', conversation: target.conversationId, with: target.name };
}

/** A changed message: the shown copy takes the newer state, and replies shown quote it as it is now. A message
 *  not shown is left alone: a page that brings it brings it as it is. */
function applyChange(target: Conversation | undefined, message: Message | DirectMessage): void {
  if (!target) return;
  const shown = message.seq > 0 ? messageAt(target, message.seq) : null;
  // A state older than the one shown (a page read before a change can arrive after it) changes nothing, quotes
  // of it included.
  if (shown && shown.rev >= (message.rev ?? 0)) return;
  for (const [index, item] of target.items.entries()) {
    if (item.kind !== 'message') continue;
    if (item === shown) {
      target.items[index] = { ...fromWire(message, message.seq), clientId: item.clientId };
    } else if (item.replyTo?.seq === message.seq) {
      const replyTo = {
        seq: message.seq,
        from: message.from,
        snippet: message.deleted ? '' : quoteOf(message.text),
        deleted: message.deleted ?? false,
      };
      target.items[index] = { ...item, replyTo };
    }
  }
}

/** A shown message of a conversation, by its number. */
export function messageAt(target: Conversation, seq: number): MessageItem | null {
  for (const item of target.items) if (item.kind === 'message' && item.seq === seq) return item;
  return null;
}

/** The user's last message in a conversation that can still be edited: what Up in an empty composer edits. */
export function lastOwnMessage(state: ChatState, target: Conversation): MessageItem | null {
  for (let index = target.items.length - 1; index >= 0; index -= 1) {
    const item = target.items[index];
    if (
      item.kind === 'message' &&
      item.seq > 0 &&
      !item.deleted &&
      !item.pending &&
      item.from.toLowerCase() === state.me.toLowerCase()
    )
      return item;
  }
  return null;
}

/** The oldest number shown in a conversation, to ask for what came before it. */
export function oldestSeq(target: Conversation): number | null {
  for (const item of target.items) if (item.kind === 'message' && item.seq > 0) return item.seq;
  return null;
}

/** Applies one event from the engine. */
export function apply(state: ChatState, event: UiEvent, now: number): void {
  switch (event.type) {
    case 'status':
      state.status = event.status;
      if (event.status.state === 'connected') {
        state.rich = event.status.rich;
        state.closing = null;
      }
      break;
    case 'welcome': {
      if (state.hostId !== null && state.hostId !== event.hostId) forgetHost(state, now);
      // Set first: the read marks below count what is someone else's.
      state.me = event.me;
      state.hostId = event.hostId;
      state.users = event.users;
      state.rooms = event.rooms;
      state.limits = event.limits;
      for (const mark of event.reads) markRead(state, conversation(state, 'room', mark.room), mark.seq);
      state.notify = new Map(event.notify.map((setting) => [roomKey(setting.room), setting.level]));
      const lobby = conversation(state, 'room', LOBBY);
      for (const message of event.history) upsert(lobby, fromWire(message, message.seq));
      // Each conversation shows its last message at once; scrolling up fetches the rest.
      addDirects(
        state,
        event.conversations.map((each) => each.lastMessage),
        false,
      );
      for (const each of event.conversations) {
        const target = directTarget(state, each.lastMessage);
        target.readSeq = Math.max(target.readSeq, each.readSeq);
        countUnreadAfter(state, target, target.readSeq);
      }
      break;
    }
    case 'message': {
      const target = conversation(state, 'room', event.message.room);
      const isNew = upsert(target, fromWire(event.message, event.message.seq));
      target.typing.delete(event.message.from);
      countUnread(state, target, event.message.from, isNew);
      seenActive(state, event.message);
      break;
    }
    case 'missed':
      addRoomMessages(state, event.messages);
      break;
    case 'changed':
      applyChange(state.conversations.get(roomKey(event.message.room)), event.message);
      break;
    case 'directChanged':
      applyChange(directById(state, event.message.conversation), event.message);
      break;
    case 'directRead': {
      const target = directById(state, event.conversation);
      if (target) markRead(state, target, event.seq);
      break;
    }
    case 'read':
      markRead(state, conversation(state, 'room', event.room), event.seq);
      break;
    case 'notifyChanged':
      setNotify(state, event.setting);
      break;
    case 'direct':
      addDirects(state, [event.message], true);
      break;
    case 'missedDirects':
      addDirects(state, event.messages, true);
      break;
    case 'roomDeleted': {
      state.conversations.delete(roomKey(event.room));
      if (state.current === roomKey(event.room)) state.current = roomKey(LOBBY);
      state.rooms = state.rooms.filter((room) => room.name.toLowerCase() !== event.room.toLowerCase());
      notice(
        conversation(state, 'room', LOBBY),
        `The host's owner deleted the room #${event.room} and its messages.`,
        now,
      );
      break;
    }
    case 'delivered':
      if (!settle(state, event.clientId, null)) state.early.set(event.clientId, null);
      break;
    case 'sendFailed':
      if (!settle(state, event.clientId, event.error.message)) state.early.set(event.clientId, event.error.message);
      break;
    case 'held':
      hold(state, event.clientId, event.error.message);
      break;
    case 'joined': {
      const target = conversation(state, 'room', event.joined.room);
      target.members = [...event.joined.members];
      for (const message of event.joined.history) upsert(target, fromWire(message, message.seq));
      break;
    }
    case 'memberJoined': {
      const target = state.conversations.get(roomKey(event.room));
      if (!target) break;
      if (!target.members.includes(event.user)) target.members.push(event.user);
      notice(target, `${event.user} joined`, now);
      break;
    }
    case 'memberLeft':
      for (const room of event.rooms) {
        const target = state.conversations.get(roomKey(room));
        if (!target) continue;
        target.members = target.members.filter((member) => member !== event.user);
        target.typing.delete(event.user);
        notice(target, event.reason === 'disconnected' ? `${event.user} went offline` : `${event.user} left`, now);
      }
      break;
    case 'userOnline':
      state.users = [...state.users.filter((user) => user.name !== event.user.name), event.user];
      break;
    case 'userOffline':
      state.users = state.users.filter((user) => user.name !== event.user.name);
      break;
    case 'rooms':
      state.rooms = event.rooms;
      break;
    case 'typing': {
      const target = state.conversations.get(roomKey(event.room));
      if (!target) break;
      if (event.active) target.typing.set(event.user, now + TYPING_TTL_MS);
      else target.typing.delete(event.user);
      break;
    }
    case 'plain': {
      const lobby = conversation(state, 'room', LOBBY);
      const separator = event.text.indexOf(': ');
      const from = separator > 0 && separator <= 32 ? event.text.slice(0, separator) : 'someone';
      const text = separator > 0 && separator <= 32 ? event.text.slice(separator + 2) : event.text;
      const item = fromWire({ id: `plain-${now}-${lobby.items.length}`, from, text, ts: now }, 0);
      lobby.items.push(item);
      countUnread(state, lobby, from, true);
      break;
    }
    case 'closing':
      state.closing = event.message;
      break;
    case 'transfer':
      trackTransfer(state.transfers, event.transfer, now);
      break;
    case 'dropHover':
      state.dropHover = event.over;
      break;
    case 'filesDropped':
      // Dropped files are sent by the app where the user is (main.ts); the state itself does not change.
      state.dropHover = false;
      break;
  }
}

/** Names typing in a conversation now, expired indicators removed. */
export function typingNow(target: Conversation, now: number): string[] {
  for (const [name, expiry] of target.typing) {
    if (expiry <= now) target.typing.delete(name);
  }
  return [...target.typing.keys()];
}

/** Opens a conversation and clears its unread count; the "new messages" line marks where the unread ones began. */
export function open(state: ChatState, key: string): void {
  const target = state.conversations.get(key);
  if (!target) return;
  const previous = state.conversations.get(state.current);
  if (previous && previous !== target) previous.newAfter = null;
  state.current = key;
  if (target.unread > 0) target.newAfter = target.readSeq;
  target.unread = 0;
}

/** The newest number shown in a conversation, the one to mark read. */
export function newestSeq(target: Conversation): number {
  let newest = 0;
  for (const item of target.items) if (item.kind === 'message' && item.seq > newest) newest = item.seq;
  return newest;
}

/** Moves a read mark forward (from this device or another), and counts again what is left unread. */
function markRead(state: ChatState, target: Conversation, seq: number): void {
  if (seq <= target.readSeq) return;
  target.readSeq = seq;
  countUnreadAfter(state, target, seq);
}

/** Counts the messages from others after `seq` as unread. */
function countUnreadAfter(state: ChatState, target: Conversation, seq: number): void {
  const me = state.me.toLowerCase();
  target.unread = target.items.filter(
    (item) => item.kind === 'message' && item.seq > seq && !item.deleted && item.from.toLowerCase() !== me,
  ).length;
}

/** Which messages of a room notify the user: what they chose on any device, or mentions. */
export function notifyLevel(state: ChatState, room: string): NotifyLevel {
  return state.notify.get(roomKey(room)) ?? 'mentions';
}

/** Keeps a room's notification setting, as the host answered or told of it. */
export function setNotify(state: ChatState, setting: NotifySetting): void {
  state.notify.set(roomKey(setting.room), setting.level);
}

/** Unread messages in every conversation, for the window's title. */
export function totalUnread(state: ChatState): number {
  let total = 0;
  for (const each of state.conversations.values()) total += each.unread;
  return total;
}

/** Forgets a room the user left. */
export function forgetRoom(state: ChatState, room: string): void {
  state.conversations.delete(roomKey(room));
  if (state.current === roomKey(room)) state.current = roomKey(LOBBY);
}
