// The browser guest's transport: Socket.IO straight from the page to the host that served it. It keeps the same
// contract as the desktop app's engine client (docs/PROTOCOL.md, "Reconnecting and catching up"):
//
// 1. after every connect, once welcomed, rejoin the rooms this tab is in, each with the last `seq` it has, and page
//    through what was missed;
// 2. only then send what is queued, in order, one message at a time, each waiting for its ack.
//
// Every message keeps its client id until the host acknowledges it (the host answers a resent client id with the
// original), so what was sent while offline is delivered once, and in the order it was written.
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  Requests,
  SendDirect,
  SendMessage,
  ServerToClientEvents,
  DirectMessage,
  Message,
  NotifySetting,
  SearchRequest,
  SearchResults,
  RoomJoined,
  SettingsView,
  UiEvent,
  Welcome,
} from './bindings';
import { Cursor } from './cursor';
import { Revisions } from './revisions';
import { applyTheme, storedTheme } from './theme';
import { TransportError, type Transport } from './transport-types';
import { chosenBlob, downloadWithLink, pickWithInput, webTransfers } from './transfers-web';

const USER_KEY = 'banter.userKey';
/** The rooms this tab is in, so that a reload rejoins them. */
const ROOMS_KEY = 'banter.rooms';
const REQUEST_TIMEOUT_MS = 10_000;
const FIRST_CONNECT_LIMIT_MS = 10_000;
/** How long to wait before resending what the host refused as too fast. */
const RATE_LIMIT_RETRY_MS = 500;
/** How long a message waits before it is sent again to a host that cannot reach its cluster's server. */
const STORAGE_RETRY_MS = 1000;
const PROTOCOL = 2;

/** The chat namespace's socket, typed by the events the Rust protocol declares (generated in bindings.ts). */
type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join(
    '',
  );
}

/** This browser's user key: the same person after a reload, in a second tab, and on the next visit. */
function userKey(): string {
  let key = localStorage.getItem(USER_KEY);
  if (!key) {
    key = randomHex(16);
    localStorage.setItem(USER_KEY, key);
  }
  return key;
}

function validKey(key: string): boolean {
  return key.length >= 8 && key.length <= 128 && /^[\x21-\x7e]+$/.test(key);
}

/** A connect error's message is `kind: text`. */
function refusal(message: string): TransportError {
  const separator = message.indexOf(': ');
  return separator > 0
    ? new TransportError(message.slice(0, separator), message.slice(separator + 2))
    : new TransportError('unreachable', message);
}

function unwrap<T>(ack: Ack<T>): T {
  if ('error' in ack) throw new TransportError(ack.error.kind, ack.error.message);
  return ack.data;
}

/**
 * One request with its acknowledgement, typed by the event. Socket.IO's own typing of `emitWithAck` cannot follow
 * an event name that is itself a type parameter, so the one call that sends them all is narrowed here.
 */
function emitRequest<E extends keyof Requests>(
  socket: ChatSocket,
  event: E,
  body: Requests[E]['body'],
): Promise<Ack<Requests[E]['reply']>> {
  const timed = socket.timeout(REQUEST_TIMEOUT_MS) as unknown as {
    emitWithAck(event: E, body: Requests[E]['body']): Promise<Ack<Requests[E]['reply']>>;
  };
  return timed.emitWithAck(event, body);
}

const sleep = (ms: number) => new Promise((resolve) => window.setTimeout(resolve, ms));
const keyOf = (name: string) => name.toLowerCase();

type Unsent = { clientId: string } & (
  { event: 'message:send'; body: SendMessage } | { event: 'dm:send'; body: SendDirect }
);

const CODE_KEY = 'banter.accessCode';

/** The access code this page was opened with (`#code=` in a guest URL or its QR code), or the one this tab last
 *  joined with. The fragment never reaches the host's logs: browsers do not send it. */
function presetCode(): string {
  const fromUrl = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('code');
  return fromUrl ?? sessionStorage.getItem(CODE_KEY) ?? '';
}

export function webTransport(): Transport {
  let socket: ChatSocket | null = null;
  let handler: (event: UiEvent) => void = () => {};
  const rooms = new Map<string, string>(JSON.parse(sessionStorage.getItem(ROOMS_KEY) ?? '[]') as [string, string][]);
  const saveRooms = () => sessionStorage.setItem(ROOMS_KEY, JSON.stringify([...rooms]));
  /** What waits for the host's ack, oldest first: sent one at a time, in this order. */
  let outbox: Unsent[] = [];
  let roomCursors = new Map<string, Cursor<Message>>();
  let directCursors = new Map<string, Cursor<DirectMessage>>();
  let revisions = new Revisions();
  /** The same for direct conversations, by their id. */
  let directRevisions = new Revisions();
  let hostId: string | null = null;
  /**
   * The host of this session is not the one this tab talked to before: its data is gone (a wiped or ephemeral
   * host), so the rooms this tab was in are made again rather than taken as deleted.
   */
  let hostIsNew = false;
  let me = '';
  /** Welcomed, rooms rejoined: the outbox may be sent. */
  let ready = false;
  /** Counts sessions: a send still waiting on an old connection's ack leaves the outbox to the new session. */
  let session = 0;
  let pumpSession = -1;
  let endedByHost = false;
  const emit = (event: UiEvent) => handler(event);

  const live = (): ChatSocket => {
    if (!socket) throw new TransportError('not_connected', 'You are not in a chat.');
    return socket;
  };

  const roomCursor = (room: string) => {
    let cursor = roomCursors.get(keyOf(room));
    if (!cursor) roomCursors.set(keyOf(room), (cursor = new Cursor<Message>()));
    return cursor;
  };
  /** A direct conversation's cursor, by the conversation's id. */
  const directCursor = (conversation: string) => {
    let cursor = directCursors.get(conversation);
    if (!cursor) directCursors.set(conversation, (cursor = new Cursor<DirectMessage>()));
    return cursor;
  };

  /** Sends a request and waits for its answer, again after a `rate_limited` refusal. */
  async function request<E extends keyof Requests>(
    event: E,
    payload: Requests[E]['body'],
  ): Promise<Requests[E]['reply']> {
    for (;;) {
      let ack: Ack<Requests[E]['reply']>;
      try {
        ack = await emitRequest(live(), event, payload);
      } catch (error) {
        if (error instanceof TransportError) throw error;
        throw new TransportError('timeout', 'The host did not answer in time.');
      }
      if ('error' in ack && ack.error.kind === 'rate_limited') {
        await sleep(RATE_LIMIT_RETRY_MS);
        continue;
      }
      return unwrap(ack);
    }
  }

  /** Joins a room from the last number this tab has of it, and goes on paging while the host has more. */
  async function join(
    room: string,
    origin: 'user' | 'rejoin' | 'recreate' | 'catchUp',
    create = false,
  ): Promise<RoomJoined> {
    // A room joined anew starts from its newest messages (older ones are a scroll away); a rejoin or a catch-up
    // goes on from the last number this tab has.
    const anew = origin === 'user' && !rooms.has(keyOf(room));
    if (anew) roomCursors.delete(keyOf(room));
    const afterSeq = create || anew ? undefined : (roomCursors.get(keyOf(room))?.last() ?? undefined);
    // A rejoin or a catch-up must not bring back a room deleted while this tab was away.
    const mustExist = origin === 'rejoin' || origin === 'catchUp' ? true : undefined;
    // Changes are asked for with the messages after a number; a first join is the room as it is now.
    const afterRev = afterSeq === undefined ? undefined : (revisions.last(keyOf(room)) ?? undefined);
    const joined = await request(create ? 'room:create' : 'room:join', {
      room,
      afterSeq,
      mustExist,
      afterRev,
    });
    rooms.set(keyOf(joined.room), joined.room);
    saveRooms();
    const changed = joined.changed ?? [];
    if (afterRev !== undefined || origin !== 'catchUp') {
      const more = revisions.joined(keyOf(joined.room), afterRev ?? null, changed, joined.latestRev);
      if (more !== null) void catchUpChanges(joined.room, more);
    }
    for (const message of changed) emit({ type: 'changed', message });
    const advance = roomCursor(joined.room).page(joined.history, joined.latestSeq, afterSeq ?? null);
    if (origin === 'catchUp') {
      if (advance.ready.length > 0) emit({ type: 'missed', room: joined.room, messages: advance.ready });
    } else {
      emit({ type: 'joined', joined: { ...joined, history: advance.ready } });
    }
    if (advance.fetchAfter !== null) void catchUpRoom(joined.room);
    return joined;
  }

  /** A room this tab was in is gone (deleted while it was away), or it could not be rejoined for now. */
  function notRejoined(room: string, error: unknown): void {
    roomCursors.get(keyOf(room))?.forgetFetch();
    const kind = error instanceof TransportError ? error.kind : '';
    if (kind === 'not_found' || kind === 'forbidden' || kind === 'invalid') {
      rooms.delete(keyOf(room));
      saveRooms();
      if (kind === 'not_found') emit({ type: 'roomDeleted', room });
    }
    // Anything else is tried again at the next reconnect, from the same number.
  }

  async function catchUpRoom(room: string): Promise<void> {
    try {
      await join(room, 'catchUp');
    } catch (error) {
      notRejoined(room, error);
    }
  }

  /** Fetches what changed in a room after a change number, a page at a time. */
  async function catchUpChanges(room: string, afterRev: number): Promise<void> {
    try {
      const page = await request('history:changes', { room, afterRev });
      const more = revisions.page(keyOf(page.room), page.messages, page.latestRev);
      for (const message of page.messages) emit({ type: 'changed', message });
      if (more !== null) void catchUpChanges(page.room, more);
    } catch {
      revisions.forgetFetches();
    }
  }

  function searchHost(search: SearchRequest): Promise<SearchResults> {
    return request('search:query', search);
  }

  function onChanged(message: Message): void {
    const key = keyOf(message.room);
    if (key !== 'lobby' && !rooms.has(key)) return;
    const more = revisions.live(key, message.rev ?? 0);
    if (more !== null) void catchUpChanges(message.room, more);
    emit({ type: 'changed', message });
  }

  /** A change to a direct message; a conversation first seen by it counts its changes from 0. */
  function onDirectChanged(message: DirectMessage): void {
    directRevisions.startAt(message.conversation, 0);
    const more = directRevisions.live(message.conversation, message.rev ?? 0);
    if (more !== null) void catchUpDirectChanges(message.conversation, more);
    emit({ type: 'directChanged', message });
  }

  async function catchUpDirectChanges(conversation: string, afterRev: number): Promise<void> {
    try {
      const page = await request('dm:changes', { conversation, afterRev });
      const more = directRevisions.page(conversation, page.messages, page.latestRev);
      for (const message of page.messages) emit({ type: 'directChanged', message });
      if (more !== null) void catchUpDirectChanges(conversation, more);
    } catch {
      directRevisions.forgetFetches();
    }
  }

  /** Fetches what a conversation missed, by its id: the name may have changed hands since. */
  async function catchUpDirect(withName: string, conversation: string, afterSeq: number): Promise<void> {
    try {
      const page = await request('dm:history', { with: withName, conversation, afterSeq });
      const advance = directCursor(conversation).page(page.messages, page.latestSeq, afterSeq);
      if (advance.ready.length > 0) emit({ type: 'missedDirects', with: page.with, messages: advance.ready });
      if (advance.fetchAfter !== null) void catchUpDirect(page.with, conversation, advance.fetchAfter);
    } catch {
      directCursors.get(conversation)?.forgetFetch();
    }
  }

  /** Sends the outbox's head until it is empty, one message at a time, while this session is ready. */
  async function pump(mine: number): Promise<void> {
    if (pumpSession === mine) return;
    pumpSession = mine;
    try {
      while (session === mine && ready && socket?.connected && outbox.length > 0) {
        const head = outbox[0];
        let ack: Ack<unknown>;
        try {
          ack =
            head.event === 'message:send'
              ? await emitRequest(socket, head.event, head.body)
              : await emitRequest(socket, head.event, head.body);
        } catch {
          // No answer in time: send it again while connected (the host answers a known client id with the
          // original); after a drop, the next session does.
          continue;
        }
        if (session !== mine) return;
        if ('error' in ack && ack.error.kind === 'rate_limited') {
          await sleep(RATE_LIMIT_RETRY_MS);
          continue;
        }
        // A cluster's host that lost its server keeps nothing until it is back; the client id keeps it once.
        if ('error' in ack && ack.error.kind === 'storage_unavailable') {
          emit({ type: 'held', clientId: head.clientId, error: ack.error });
          await sleep(STORAGE_RETRY_MS);
          continue;
        }
        if (outbox[0] !== head) continue;
        outbox.shift();
        if ('error' in ack) emit({ type: 'sendFailed', clientId: head.clientId, error: ack.error });
        else emit({ type: 'delivered', clientId: head.clientId });
      }
    } finally {
      if (pumpSession === mine) pumpSession = -1;
    }
  }

  function track(event: 'message:send', body: SendMessage): string;
  function track(event: 'dm:send', body: SendDirect): string;
  function track(event: Unsent['event'], body: SendMessage | SendDirect): string {
    const clientId = randomHex(16);
    outbox.push({ clientId, event, body: { ...body, clientId } } as Unsent);
    void pump(session);
    return clientId;
  }

  function onWelcome(welcome: Welcome): void {
    hostIsNew = hostId !== null && hostId !== welcome.hostId;
    if (hostIsNew) {
      // A different host, or a wiped one: the numbers this tab had mean nothing there.
      roomCursors = new Map();
      directCursors = new Map();
      revisions = new Revisions();
      directRevisions = new Revisions();
    }
    hostId = welcome.hostId;
    me = welcome.user.name;
    for (const room of welcome.memberOf) if (!rooms.has(keyOf(room))) rooms.set(keyOf(room), room);
    saveRooms();
    for (const conversation of welcome.conversations) {
      const id = conversation.lastMessage.conversation;
      const cursor = directCursor(id);
      const last = cursor.last();
      if (last === null) {
        // New to this tab: the welcome shows its last message as it is now.
        cursor.startAt(conversation.lastMessage.seq);
        directRevisions.startAt(id, conversation.latestRev);
        continue;
      }
      if (last < conversation.lastMessage.seq) void catchUpDirect(conversation.with, id, last);
      // Known, but perhaps never changed while this tab watched: its changes count from 0.
      directRevisions.startAt(id, 0);
      const changes = directRevisions.last(id) ?? 0;
      if (changes < conversation.latestRev) void catchUpDirectChanges(id, changes);
    }
    // The welcome's lobby is the lobby as it is now; a tab that had it before asks what changed since.
    const lobbyRev = revisions.last('lobby');
    if (lobbyRev === null) revisions.joined('lobby', null, [], welcome.lobbyRev);
    else if (lobbyRev < welcome.lobbyRev) void catchUpChanges('lobby', lobbyRev);
    const latest = welcome.history.length > 0 ? welcome.history[welcome.history.length - 1].seq : 0;
    const advance = roomCursor('lobby').page(welcome.history, latest, null);
    emit({
      type: 'welcome',
      me: welcome.user.name,
      hostId: welcome.hostId,
      users: welcome.users,
      rooms: welcome.rooms,
      history: advance.ready,
      memberOf: welcome.memberOf,
      conversations: welcome.conversations,
      limits: welcome.limits,
      reads: welcome.reads ?? [],
      notify: welcome.notify ?? [],
    });
    if (advance.fetchAfter !== null) void catchUpRoom('lobby');
  }

  /** A session begins: rejoin every room first, then send what waits. */
  async function resume(current: Socket): Promise<void> {
    session += 1;
    const mine = session;
    for (const cursor of roomCursors.values()) cursor.forgetFetch();
    for (const cursor of directCursors.values()) cursor.forgetFetch();
    revisions.forgetFetches();
    directRevisions.forgetFetches();
    for (const room of [...rooms.values()]) {
      if (socket !== current || !current.connected || session !== mine) return;
      try {
        await join(room, hostIsNew ? 'recreate' : 'rejoin');
      } catch (error) {
        notRejoined(room, error);
      }
    }
    if (socket !== current || session !== mine) return;
    ready = true;
    await pump(mine);
  }

  function onMessage(message: Message): void {
    const advance = roomCursor(message.room).live(message);
    for (const each of advance.ready) emit({ type: 'message', message: each });
    if (advance.fetchAfter !== null && (keyOf(message.room) === 'lobby' || rooms.has(keyOf(message.room))))
      void catchUpRoom(message.room);
  }

  function onDirect(message: DirectMessage): void {
    const other = keyOf(message.from) === keyOf(me) ? message.to : message.from;
    const cursor = directCursor(message.conversation);
    cursor.startAt(message.seq - 1);
    directRevisions.startAt(message.conversation, 0);
    const advance = cursor.live(message);
    for (const each of advance.ready) emit({ type: 'direct', message: each });
    if (advance.fetchAfter !== null) void catchUpDirect(other, message.conversation, advance.fetchAfter);
  }

  function listen(current: Socket): void {
    let attempt = 0;
    current.on('connect', () => {
      attempt = 0;
      endedByHost = false;
      emit({ type: 'status', status: { state: 'connected', rich: true } });
    });
    current.on('disconnect', (reason) => {
      ready = false;
      // Socket.IO would send what was emitted while disconnected as soon as it reconnects, before this tab has
      // rejoined its rooms; those sends are made again, in order, once it has.
      current.sendBuffer = [];
      if (reason === 'io client disconnect') return;
      if (reason === 'io server disconnect' && !endedByHost) {
        emit({ type: 'status', status: { state: 'closed', reason: 'The host closed the connection.', kind: null } });
        return;
      }
      if (reason === 'io server disconnect') {
        // The host stopped on purpose: wait quietly for it to come back (Socket.IO does not retry by itself
        // after a server-side close).
        current.connect();
      }
      emit({
        type: 'status',
        status: { state: 'reconnecting', attempt: 1, retryInMs: 1000, reason: 'connection lost', endedByHost },
      });
    });
    current.io.on('reconnect_attempt', () => {
      attempt += 1;
      emit({
        type: 'status',
        status: { state: 'reconnecting', attempt, retryInMs: 1000, reason: 'connection lost', endedByHost },
      });
    });
    current.on('session:welcome', (welcome: Welcome) => {
      onWelcome(welcome);
      void resume(current);
    });
    current.on('message:new', onMessage);
    current.on('message:changed', onChanged);
    current.on('read:changed', ({ room, seq }) => emit({ type: 'read', room, seq }));
    current.on('notify:changed', (setting: NotifySetting) => emit({ type: 'notifyChanged', setting }));
    current.on('dm:new', onDirect);
    current.on('dm:changed', onDirectChanged);
    current.on('dm:read:changed', ({ conversation, seq }) => emit({ type: 'directRead', conversation, seq }));
    current.on('member:joined', ({ room, user }) => emit({ type: 'memberJoined', room, user }));
    current.on('member:left', ({ rooms: left, user, reason }) =>
      emit({ type: 'memberLeft', rooms: left, user, reason }),
    );
    current.on('user:online', ({ user }) => emit({ type: 'userOnline', user }));
    current.on('user:offline', ({ user }) => emit({ type: 'userOffline', user }));
    current.on('room:list', ({ rooms: list }) => emit({ type: 'rooms', rooms: list }));
    current.on('room:deleted', ({ room }) => {
      rooms.delete(keyOf(room));
      saveRooms();
      emit({ type: 'roomDeleted', room });
    });
    current.on('typing:update', ({ room, user, active }) => emit({ type: 'typing', room, user, active }));
    current.on('session:closing', ({ reason, message }) => {
      emit({ type: 'closing', reason, message });
      if (reason === 'shutdown') {
        endedByHost = true;
      } else {
        current.close();
        emit({ type: 'status', status: { state: 'closed', reason: message, kind: reason } });
      }
    });
  }

  const settingsView = (): SettingsView => ({
    name: localStorage.getItem('banter.name') ?? '',
    recentAddresses: [],
    recentHosts: [],
    advertise: false,
    userKey: userKey(),
    // A browser draws no QR code of its own key; the desktop app does.
    userKeyQr: '',
    // A browser does not host.
    hostPort: null,
    requireCode: false,
    theme: storedTheme(),
  });

  const transfers = webTransfers(
    (body) => request('file:begin', body),
    async (to, text, file) =>
      to.kind === 'room'
        ? track('message:send', { room: to.room, text, file: file.id })
        : track('dm:send', { to: to.with, text, file: file.id }),
    emit,
  );

  return {
    canHost: false,
    fixedAddress: window.location.host,
    presetCode: presetCode(),
    hostStart: () => Promise.reject(new TransportError('unsupported', 'Hosting needs the desktop app.')),
    hostStop: () => Promise.resolve(),
    // A browser guest never hosts, so closing its tab is never asked about.
    quit: () => Promise.resolve(),
    hostBan: () => Promise.reject(new TransportError('not_hosting', "Only the host's owner can ban.")),
    hostUnban: () => Promise.reject(new TransportError('not_hosting', "Only the host's owner can lift a ban.")),
    hostDeleteRoom: () => Promise.reject(new TransportError('not_hosting', "Only the host's owner can delete a room.")),
    hostKick: () => Promise.reject(new TransportError('not_hosting', "Only the host's owner can disconnect someone.")),
    hostReleaseName: () =>
      Promise.reject(new TransportError('not_hosting', "Only the host's owner can release a name.")),
    hostDeleteMessage: () =>
      Promise.reject(new TransportError('not_hosting', "Only the host's owner can delete others' messages.")),
    connect: (_address, name, accessCode) =>
      new Promise((resolve, reject) => {
        socket?.close();
        // What a previous session left unsent is not this session's to send.
        outbox = [];
        ready = false;
        const code = accessCode.trim();
        const auth: Record<string, unknown> = { name, userKey: userKey(), protocol: PROTOCOL };
        if (code) auth.accessCode = code;
        // Kept for this tab's reloads, never sent anywhere but the handshake.
        if (code) sessionStorage.setItem(CODE_KEY, code);
        const current: ChatSocket = io({ auth, reconnectionDelayMax: 5000 });
        socket = current;
        listen(current);
        emit({ type: 'status', status: { state: 'connecting', attempt: 1 } });
        const giveUp = window.setTimeout(() => {
          current.close();
          reject(new TransportError('unreachable', 'The host did not answer.'));
        }, FIRST_CONNECT_LIMIT_MS);
        current.once('connect', () => {
          window.clearTimeout(giveUp);
          resolve(window.location.host);
        });
        current.on('connect_error', (error) => {
          // An inactive socket was refused by the host (taken name, invalid name): retrying cannot help. Before
          // the first connect that fails the join; later it ends the session, and the banner says why.
          if (!current.active) {
            window.clearTimeout(giveUp);
            const failure = refusal(error.message);
            reject(failure);
            emit({ type: 'status', status: { state: 'closed', reason: failure.message, kind: failure.kind } });
          }
        });
      }),
    // The page's own host is the only one a browser guest joins.
    watchNetwork: async () => () => {},
    disconnect: async () => {
      socket?.close();
      socket = null;
      ready = false;
      rooms.clear();
      outbox = [];
      saveRooms();
    },
    sendMessage: async (room, text) => track('message:send', { room, text }),
    sendDirect: async (to, text) => track('dm:send', { to, text }),
    sendReply: async (place, replyTo, text) =>
      place.kind === 'room'
        ? track('message:send', { room: place.room, text, replyTo })
        : track('dm:send', { to: place.with, text, replyTo }),
    editMessage: (place, seq, text) =>
      place.kind === 'room'
        ? request('message:edit', { room: place.room, seq, text })
        : request('dm:edit', { conversation: place.conversation, seq, text }),
    deleteMessage: (place, seq) =>
      place.kind === 'room'
        ? request('message:delete', { room: place.room, seq })
        : request('dm:delete', { conversation: place.conversation, seq }),
    react: (place, seq, emoji, on) =>
      place.kind === 'room'
        ? request('message:react', { room: place.room, seq, emoji, on })
        : request('dm:react', { conversation: place.conversation, seq, emoji, on }),
    pickFiles: () => pickWithInput(),
    fileFromBlob: async (blob, name) => chosenBlob(new File([blob], name, { type: blob.type })),
    sendFile: async (to, file, text) => transfers.send(to, file, text),
    cancelTransfer: async (id) => transfers.cancel(id),
    retryTransfer: async (id) => transfers.retry(id),
    saveFile: async (file) => downloadWithLink(file),
    canShowInFolder: false,
    showInFolder: async () => {
      throw new TransportError('unsupported', 'The browser shows its downloads itself.');
    },
    fileSource: (file) => `/files/${encodeURIComponent(file.id)}`,
    chosenSource: (file) => (file.blob ? URL.createObjectURL(file.blob) : ''),
    joinRoom: (room) => join(room, 'user'),
    createRoom: (room) => join(room, 'user', true),
    leaveRoom: async (room) => {
      const left = await request('room:leave', { room });
      rooms.delete(keyOf(room));
      saveRooms();
      return left;
    },
    historyPage: (room, beforeSeq, limit) =>
      request('history:page', { room, beforeSeq: beforeSeq ?? undefined, limit }),
    dmHistory: (withName, beforeSeq, limit) =>
      request('dm:history', { with: withName, beforeSeq: beforeSeq ?? undefined, limit }),
    setTyping: async (room, active) => {
      live().emit('typing:set', { room, active });
    },
    fetchAttachment: async (id) => {
      const response = await fetch(`/attachments/${encodeURIComponent(id)}`);
      if (response.status === 404) throw new TransportError('not_found', 'This image is no longer on the host.');
      if (!response.ok) throw new TransportError('unreachable', 'The image could not be loaded.');
      return new Uint8Array(await response.arrayBuffer());
    },
    settings: async () => settingsView(),
    setUserKey: async (key) => {
      const trimmed = key.trim();
      if (!validKey(trimmed))
        throw new TransportError('invalid', 'A user key is 8 to 128 visible ASCII characters, with no spaces.');
      localStorage.setItem(USER_KEY, trimmed);
      return settingsView();
    },
    updateSettings: async (update) => {
      // The host checks the name when it is used to join, against its own limits, and says what is wrong.
      const name = update.name?.trim();
      if (name !== undefined) localStorage.setItem('banter.name', name);
      if (update.theme) applyTheme(update.theme);
      return settingsView();
    },
    copyText: async (text) => {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        throw new TransportError('clipboard', 'This browser does not allow copying here.');
      }
    },
    search: (request) => searchHost(request),
    markRead: async (place, seq) => {
      if (place.kind === 'room') await request('read:set', { room: place.room, seq });
      else await request('dm:read:set', { conversation: place.conversation, seq });
    },
    setNotify: (room, level) => request('notify:set', { room, level }),
    showUnread: async (count) => {
      document.title = count > 0 ? `(${count}) Banter` : 'Banter';
    },
    openLink: async (url) => {
      // A new tab that cannot reach back into this page (`noopener`), and only for the web's own schemes.
      if (/^https?:\/\//i.test(url)) window.open(url, '_blank', 'noopener,noreferrer');
    },
    onEvent: async (next) => {
      handler = next;
      return () => {
        handler = () => {};
      };
    },
  };
}
