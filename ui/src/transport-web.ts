// The browser guest's transport: Socket.IO straight from the page to the host that served it. It keeps the same
// promises as the desktop app's engine client: rooms are rejoined after a reconnect, and every message keeps a
// client id until the host acknowledges it, so what was sent while offline is delivered once when back.
import { io, type Socket } from 'socket.io-client';
import type { Attachment, ErrorBody, RoomJoined, RoomLeft, UiEvent } from './bindings';
import { TransportError, type Transport } from './transport-types';

const USER_KEY = 'banter.userKey';
/** The rooms this tab is in, so that a reload rejoins them. */
const ROOMS_KEY = 'banter.rooms';
const REQUEST_TIMEOUT_MS = 10_000;
const FIRST_CONNECT_LIMIT_MS = 10_000;
/** How long to wait before resending what the host refused as too fast. */
const RATE_LIMIT_RETRY_MS = 500;

type Ack<T> = { data: T } | { error: ErrorBody };

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** This browser's user key: the same person after a reload or a second tab. */
function userKey(): string {
  let key = localStorage.getItem(USER_KEY);
  if (!key) {
    key = randomHex(16);
    localStorage.setItem(USER_KEY, key);
  }
  return key;
}

/** A connect error's message is `kind: text`. */
function refusal(message: string): TransportError {
  const separator = message.indexOf(': ');
  return separator > 0 ? new TransportError(message.slice(0, separator), message.slice(separator + 2)) : new TransportError('unreachable', message);
}

function unwrap<T>(ack: Ack<T>): T {
  if ('error' in ack) throw new TransportError(ack.error.kind, ack.error.message);
  return ack.data;
}

interface Unsent {
  event: 'message:send' | 'dm:send';
  body: Record<string, unknown>;
}

export function webTransport(): Transport {
  let socket: Socket | null = null;
  let handler: (event: UiEvent) => void = () => {};
  const rooms = new Map<string, string>(JSON.parse(sessionStorage.getItem(ROOMS_KEY) ?? '[]') as [string, string][]);
  const saveRooms = () => sessionStorage.setItem(ROOMS_KEY, JSON.stringify([...rooms]));
  const unsent = new Map<string, Unsent>();
  const emit = (event: UiEvent) => handler(event);

  const live = (): Socket => {
    if (!socket) throw new TransportError('not_connected', 'You are not in a chat.');
    return socket;
  };

  async function request<T>(event: string, payload: unknown): Promise<T> {
    try {
      return unwrap(await live().timeout(REQUEST_TIMEOUT_MS).emitWithAck(event, payload) as Ack<T>);
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError('timeout', 'The host did not answer in time.');
    }
  }

  /** Sends an unacknowledged message if connected; otherwise it waits for the next connect. */
  function deliver(clientId: string): void {
    const entry = unsent.get(clientId);
    if (!entry || !socket?.connected) return;
    socket.timeout(REQUEST_TIMEOUT_MS).emit(entry.event, entry.body, (error: Error | null, ack: Ack<unknown>) => {
      if (!unsent.has(clientId)) return;
      if (error) {
        // No answer in time: send again (the host answers a known client id without posting it twice). If the
        // connection is down, the next connect resends it instead.
        deliver(clientId);
        return;
      }
      if ('error' in ack && ack.error.kind === 'rate_limited') {
        window.setTimeout(() => deliver(clientId), RATE_LIMIT_RETRY_MS);
        return;
      }
      unsent.delete(clientId);
      if ('error' in ack) emit({ type: 'sendFailed', clientId, error: ack.error });
      else emit({ type: 'delivered', clientId });
    });
  }

  function track(event: Unsent['event'], body: Record<string, unknown>): string {
    const clientId = randomHex(16);
    unsent.set(clientId, { event, body: { ...body, clientId } });
    deliver(clientId);
    return clientId;
  }

  function listen(current: Socket): void {
    let attempt = 0;
    current.on('connect', async () => {
      attempt = 0;
      emit({ type: 'status', status: { state: 'connected', rich: true } });
      for (const room of [...rooms.values()]) {
        try {
          emit({ type: 'joined', joined: await request<RoomJoined>('room:join', { room }) });
        } catch {
          rooms.delete(room.toLowerCase());
          saveRooms();
        }
      }
      for (const clientId of unsent.keys()) deliver(clientId);
    });
    current.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      if (reason === 'io server disconnect') {
        emit({ type: 'status', status: { state: 'closed', reason: 'The host closed the connection.', kind: null } });
        return;
      }
      emit({ type: 'status', status: { state: 'reconnecting', attempt: 1, retryInMs: 1000, reason: 'connection lost' } });
    });
    current.io.on('reconnect_attempt', () => {
      attempt += 1;
      emit({ type: 'status', status: { state: 'reconnecting', attempt, retryInMs: 1000, reason: 'connection lost' } });
    });
    current.on('session:welcome', (welcome) => emit({ type: 'welcome', me: welcome.user.name, users: welcome.users, rooms: welcome.rooms, history: welcome.history }));
    current.on('message:new', (message) => emit({ type: 'message', message }));
    current.on('dm:new', (message) => emit({ type: 'direct', message }));
    current.on('member:joined', ({ room, user }) => emit({ type: 'memberJoined', room, user }));
    current.on('member:left', ({ rooms: left, user, reason }) => emit({ type: 'memberLeft', rooms: left, user, reason }));
    current.on('user:online', ({ user }) => emit({ type: 'userOnline', user }));
    current.on('user:offline', ({ user }) => emit({ type: 'userOffline', user }));
    current.on('room:list', ({ rooms: list }) => emit({ type: 'rooms', rooms: list }));
    current.on('typing:update', ({ room, user, active }) => emit({ type: 'typing', room, user, active }));
    current.on('session:closing', ({ reason, message }) => {
      emit({ type: 'closing', reason, message });
      if (reason !== 'shutdown') {
        current.close();
        emit({ type: 'status', status: { state: 'closed', reason: message, kind: reason } });
      }
    });
  }

  return {
    canHost: false,
    fixedAddress: window.location.host,
    hostStart: () => Promise.reject(new TransportError('unsupported', 'Hosting needs the desktop app.')),
    hostStop: () => Promise.resolve(),
    connect: (_address, name) =>
      new Promise((resolve, reject) => {
        socket?.close();
        // What a previous session left unsent is not this session's to send.
        unsent.clear();
        const current = io({ auth: { name, userKey: userKey(), protocol: 1 }, reconnectionDelayMax: 5000 });
        socket = current;
        listen(current);
        emit({ type: 'status', status: { state: 'connecting', attempt: 1 } });
        const giveUp = window.setTimeout(() => {
          current.close();
          reject(new TransportError('unreachable', 'The host did not answer.'));
        }, FIRST_CONNECT_LIMIT_MS);
        current.once('connect', () => {
          window.clearTimeout(giveUp);
          resolve();
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
    disconnect: async () => {
      socket?.close();
      socket = null;
      rooms.clear();
      unsent.clear();
      saveRooms();
    },
    sendMessage: async (room, text) => track('message:send', { room, text }),
    sendDirect: async (to, text) => track('dm:send', { to, text }),
    sendImage: async (room, text, bytes) => {
      const attachment = await request<Attachment>('attachment:upload', bytes);
      return track('message:send', { room, text, attachment: attachment.id });
    },
    joinRoom: async (room) => {
      const joined = await request<RoomJoined>('room:join', { room });
      rooms.set(joined.room.toLowerCase(), joined.room);
      saveRooms();
      return joined;
    },
    createRoom: async (room) => {
      const joined = await request<RoomJoined>('room:create', { room });
      rooms.set(joined.room.toLowerCase(), joined.room);
      saveRooms();
      return joined;
    },
    leaveRoom: async (room) => {
      const left = await request<RoomLeft>('room:leave', { room });
      rooms.delete(room.toLowerCase());
      saveRooms();
      return left;
    },
    setTyping: async (room, active) => {
      live().emit('typing:set', { room, active });
    },
    fetchAttachment: async (id) => {
      const response = await fetch(`/attachments/${encodeURIComponent(id)}`);
      if (!response.ok) throw new TransportError('not_found', 'The image is no longer on the host.');
      return new Uint8Array(await response.arrayBuffer());
    },
    // A browser remembers the name itself (main.ts); it has no addresses to remember.
    settings: async () => ({ name: localStorage.getItem('banter.name') ?? '', recentAddresses: [] }),
    copyText: async (text) => {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        throw new TransportError('clipboard', 'This browser does not allow copying here.');
      }
    },
    onEvent: async (next) => {
      handler = next;
      return () => {
        handler = () => {};
      };
    },
  };
}
