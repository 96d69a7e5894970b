// The one module that talks to Rust: the desktop app's transport. Everything else in the UI sees the `Transport`
// interface (transport-types.ts) and never Tauri; the browser guest's transport is transport-web.ts.
import { convertFileSrc, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { LocalFile, NetworkView, UiEvent } from './bindings';
import { asTransportError, type Transport } from './transport-types';

export { TransportError, type Transport } from './transport-types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asTransportError(error);
  }
}

export const tauriTransport: Transport = {
  canHost: true,
  fixedAddress: null,
  presetCode: '',
  hostStart: (name, port, requireCode, advertise) => call('host_start', { name, port, requireCode, advertise }),
  hostStop: () => call('host_stop'),
  quit: () => call('quit'),
  hostBan: (name, minutes) => call('host_ban', { name, minutes }),
  hostUnban: (name) => call('host_unban', { name }),
  hostDeleteRoom: (room) => call('host_delete_room', { room }),
  hostReleaseName: (name) => call('host_release_name', { name }),
  hostKick: (name) => call('host_kick', { name }),
  hostDeleteMessage: (room, seq) => call('host_delete_message', { room, seq }),
  connect: (address, name, accessCode, target) =>
    call('connect', {
      address,
      name,
      accessCode: accessCode.trim() || null,
      hostId: target?.hostId ?? null,
      acceptNewHost: target?.acceptNewHost ?? false,
    }),
  watchNetwork: async (handler) => {
    // Listening first: a change between the answer and the subscription is not lost.
    const unlisten = await listen<NetworkView>('banter:network', (event) => handler(event.payload));
    handler(await call<NetworkView>('network_watch'));
    return unlisten;
  },
  disconnect: () => call('disconnect'),
  openLink: (url) => call('open_link', { url }),
  search: (request) => call('search', { request }),
  markRead: (place, seq) => call('mark_read', { place, seq }),
  setNotify: (room, level) => call('set_notify', { room, level }),
  showUnread: (count) => call('show_unread', { count }),
  sendMessage: (room, text) => call('send_message', { room, text }),
  sendReply: (place, replyTo, text) => call('send_reply', { place, replyTo, text }),
  editMessage: (place, seq, text) => call('edit_message', { place, seq, text }),
  deleteMessage: (place, seq) => call('delete_message', { place, seq }),
  react: (place, seq, emoji, on) => call('react', { place, seq, emoji, on }),
  sendDirect: (to, text) => call('send_direct', { to, text }),
  pickFiles: async () => (await call<LocalFile[]>('pick_files')).map((file) => ({ ...file })),
  // The bytes cross once, as a raw IPC body (never as JSON); Rust keeps them in a file to send like any other.
  fileFromBlob: async (blob, name) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    try {
      return await invoke<LocalFile>('keep_pasted', bytes, { headers: { 'banter-name': encodeURIComponent(name) } });
    } catch (error) {
      throw asTransportError(error);
    }
  },
  sendFile: (to, file, text) => {
    if (!file.token) throw new Error('The app sends files it was given by the picker, a drop or a paste.');
    return call('send_file', { to, token: file.token, text });
  },
  cancelTransfer: (id) => call('cancel_transfer', { id }),
  retryTransfer: (id) => call('retry_transfer', { id }),
  saveFile: async (file) => {
    await call<string | null>('save_file', { file });
  },
  canShowInFolder: true,
  showInFolder: (id) => call('show_in_folder', { id }),
  fileSource: (file) => convertFileSrc(`${file.id}/${encodeURIComponent(file.name)}`, 'banter-file'),
  chosenSource: (file) => convertFileSrc(`chosen/${file.token ?? ''}`, 'banter-file'),
  joinRoom: (room) => call('join_room', { room }),
  createRoom: (room) => call('create_room', { room }),
  leaveRoom: (room) => call('leave_room', { room }),
  historyPage: (room, beforeSeq, limit) => call('history_page', { room, beforeSeq, limit }),
  dmHistory: (withName, beforeSeq, limit) => call('dm_history', { with: withName, beforeSeq, limit }),
  setTyping: (room, active) => call('set_typing', { room, active }),
  fetchAttachment: async (id) => new Uint8Array(await call<ArrayBuffer>('fetch_attachment', { id })),
  settings: () => call('settings'),
  setUserKey: (key) => call('set_user_key', { key }),
  updateSettings: (update) => call('update_settings', { update }),
  copyText: (text) => call('copy_text', { text }),
  onEvent: (handler) => listen<UiEvent>('banter:event', (event) => handler(event.payload)),
};
