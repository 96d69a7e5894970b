// The one module that talks to Rust. Everything else in the UI imports the `Transport` interface from here and
// never sees Tauri; the browser-guest transport (a later issue) will be this module's sibling.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { HostInfo, IpcError, RoomJoined, RoomLeft, UiEvent } from './bindings';

/** What the UI can ask of the chat engine. */
export interface Transport {
  hostStart(name: string, port: number): Promise<HostInfo>;
  hostStop(): Promise<void>;
  connect(address: string, name: string): Promise<void>;
  disconnect(): Promise<void>;
  sendMessage(room: string, text: string): Promise<string>;
  sendDirect(to: string, text: string): Promise<string>;
  sendImage(room: string, text: string, bytes: Uint8Array): Promise<string>;
  joinRoom(room: string): Promise<RoomJoined>;
  createRoom(room: string): Promise<RoomJoined>;
  leaveRoom(room: string): Promise<RoomLeft>;
  setTyping(room: string, active: boolean): Promise<void>;
  fetchAttachment(id: string): Promise<Uint8Array>;
  recentAddresses(): Promise<string[]>;
  copyText(text: string): Promise<void>;
  /** Calls `handler` for every chat event until the returned function is called. */
  onEvent(handler: (event: UiEvent) => void): Promise<() => void>;
}

/** A failed command, classified: switch on `kind`, show `message`. */
export class TransportError extends Error {
  readonly kind: string;

  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

function asTransportError(error: unknown): TransportError {
  if (typeof error === 'object' && error !== null && 'kind' in error && 'message' in error) {
    const ipc = error as IpcError;
    return new TransportError(ipc.kind, ipc.message);
  }
  return new TransportError('internal', String(error));
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asTransportError(error);
  }
}

export const tauriTransport: Transport = {
  hostStart: (name, port) => call('host_start', { name, port }),
  hostStop: () => call('host_stop'),
  connect: (address, name) => call('connect', { address, name }),
  disconnect: () => call('disconnect'),
  sendMessage: (room, text) => call('send_message', { room, text }),
  sendDirect: (to, text) => call('send_direct', { to, text }),
  sendImage: (room, text, bytes) => call('send_image', { room, text, bytes: Array.from(bytes) }),
  joinRoom: (room) => call('join_room', { room }),
  createRoom: (room) => call('create_room', { room }),
  leaveRoom: (room) => call('leave_room', { room }),
  setTyping: (room, active) => call('set_typing', { room, active }),
  fetchAttachment: async (id) => new Uint8Array(await call<ArrayBuffer>('fetch_attachment', { id })),
  recentAddresses: () => call('recent_addresses'),
  copyText: (text) => call('copy_text', { text }),
  onEvent: (handler) => listen<UiEvent>('banter:event', (event) => handler(event.payload)),
};
