// The interface between the UI and whatever carries its chat: Tauri commands in the desktop app (transport.ts),
// Socket.IO from the browser for guests (transport-web.ts). Nothing here depends on either.
import type {
  AnyMessage,
  BanInfo,
  NotifyLevel,
  NotifySetting,
  DirectHistoryPage,
  FileInfo,
  HistoryPage,
  HostInfo,
  IpcError,
  Message,
  NetworkView,
  Place,
  RoomJoined,
  RoomLeft,
  SearchRequest,
  SendTo,
  SearchResults,
  SettingsUpdate,
  SettingsView,
  UiEvent,
} from './bindings';

/** Which host a join means, beyond its address. */
export interface JoinTarget {
  /** The host picked from the network or the recent hosts: joined where it is now, with the code kept for it. */
  hostId?: string;
  /** The user was told that another host answers at the address, and joins anyway. */
  acceptNewHost?: boolean;
}

/** A file on this device that the user chose to send: by the picker, a drop or a paste. */
export interface ChosenFile {
  name: string;
  size: number;
  /** The desktop app's handle on a file Rust holds (its path never reaches the webview). */
  token?: string;
  /** The bytes, where the page holds them (a browser guest's file, a paste). */
  blob?: Blob;
}

/** What the UI can ask of the chat engine. */
export interface Transport {
  /** Whether this client can host a room itself (the desktop app) or only join (a browser guest). */
  readonly canHost: boolean;
  /** The host a browser guest belongs to (the one that served the page); null where the user types an address. */
  readonly fixedAddress: string | null;
  /** Hosts on `port`; with `requireCode`, guests need the access code the answer carries; with `advertise`, the
   *  chat is announced on the network under `name`. */
  hostStart(name: string, port: number, requireCode: boolean, advertise: boolean): Promise<HostInfo>;
  hostStop(): Promise<void>;
  /** Stops hosting (telling the guests) and quits the app: the answer to closing the window while hosting. */
  quit(): Promise<void>;
  /** Bans someone from the chat this app hosts, for `minutes` or until lifted (`not_hosting` otherwise); answers
   *  with the bans that now hold. */
  hostBan(name: string, minutes: number | null): Promise<BanInfo[]>;
  /** Lifts a ban; answers with the bans that still hold. */
  hostUnban(name: string): Promise<BanInfo[]>;
  /** Deletes a room of the chat this app hosts, with its history; everyone in it is told. Answers its name. */
  hostDeleteRoom(room: string): Promise<string>;
  /** Disconnects someone from the chat this app hosts (they may come back); answers how many connections closed. */
  hostKick(name: string): Promise<number>;
  /** Frees a name someone's key holds on the chat this app hosts; answers the name as it was bound. */
  hostReleaseName(name: string): Promise<string>;
  /** Deletes anyone's message in the chat this app hosts; answers its tombstone. */
  hostDeleteMessage(room: string, seq: number): Promise<Message>;
  /** Joins the host at `address`; `accessCode` for a host that requires one (empty otherwise). Resolves with the
   *  address joined, which differs when the host meant moved. Fails with `different_host` when another host answers
   *  where the one meant was. */
  connect(address: string, name: string, accessCode: string, target?: JoinTarget): Promise<string>;
  /** Calls `handler` with the hosts found on the network, now and on every change, until the returned function is
   *  called. A browser guest finds none. */
  watchNetwork(handler: (view: NetworkView) => void): Promise<() => void>;
  /** An access code the page was opened with (a guest URL's `#code=`), for the join form. */
  readonly presetCode: string;
  disconnect(): Promise<void>;
  sendMessage(room: string, text: string): Promise<string>;
  sendDirect(to: string, text: string): Promise<string>;
  /** Queues a reply to message `replyTo` of a room or conversation; reports like `sendMessage`. */
  sendReply(place: Place, replyTo: number, text: string): Promise<string>;
  /** Replaces the text of one of this user's messages; answers the message as it is now. */
  editMessage(place: Place, seq: number, text: string): Promise<AnyMessage>;
  /** Deletes one of this user's messages; answers its tombstone. */
  deleteMessage(place: Place, seq: number): Promise<AnyMessage>;
  /** Adds (`on`) or takes back this user's reaction; answers the message as it is now. */
  react(place: Place, seq: number, emoji: string, on: boolean): Promise<AnyMessage>;
  /** Opens the file picker; resolves with the files chosen (none when it was closed). */
  pickFiles(): Promise<ChosenFile[]>;
  /** Makes a file of bytes the page holds (a paste), ready to send. */
  fileFromBlob(blob: Blob, name: string): Promise<ChosenFile>;
  /** Uploads a file in the background and posts it with `text` (may be empty). Resolves with the transfer's id,
   *  which `transfer` events name, as soon as it has started. */
  sendFile(to: SendTo, file: ChosenFile, text: string): Promise<string>;
  cancelTransfer(id: string): Promise<void>;
  /** Runs an ended transfer again, from where it stopped. */
  retryTransfer(id: string): Promise<void>;
  /** Saves a shared file: the Save dialog and a download with progress (desktop), the browser's download (guest). */
  saveFile(file: FileInfo): Promise<void>;
  /** Whether a saved download can be shown in its folder (`showInFolder`). */
  readonly canShowInFolder: boolean;
  showInFolder(transferId: string): Promise<void>;
  /** Where the webview loads a shared file from, to show or play it. */
  fileSource(file: FileInfo): string;
  /** Where the webview reads a photo the user chose, to draw a smaller copy (a `blob:` URL is revoked after). */
  chosenSource(file: ChosenFile): string;
  joinRoom(room: string): Promise<RoomJoined>;
  createRoom(room: string): Promise<RoomJoined>;
  leaveRoom(room: string): Promise<RoomLeft>;
  /** Up to `limit` messages of a room before `beforeSeq` (the newest without it), oldest first. */
  historyPage(room: string, beforeSeq: number | null, limit: number): Promise<HistoryPage>;
  /** Up to `limit` messages of a direct conversation before `beforeSeq`, oldest first. */
  dmHistory(withName: string, beforeSeq: number | null, limit: number): Promise<DirectHistoryPage>;
  setTyping(room: string, active: boolean): Promise<void>;
  fetchAttachment(id: string): Promise<Uint8Array>;
  /** The remembered display name, recent addresses and this user's key. */
  settings(): Promise<SettingsView>;
  /** Takes the user key from another device; it holds this user's name from the next join on. */
  setUserKey(key: string): Promise<SettingsView>;
  /** Keeps what the Settings screen changed (checked whole: nothing changes if a field is refused). */
  updateSettings(update: SettingsUpdate): Promise<SettingsView>;
  copyText(text: string): Promise<void>;
  /** Marks a room or a conversation read up to message `seq`, for every device of this user. */
  markRead(place: Place, seq: number): Promise<void>;
  /** Sets which messages of a room notify this user, on all their devices; answers the setting the host kept. */
  setNotify(room: string, level: NotifyLevel): Promise<NotifySetting>;
  /** Shows how many messages are unread in all, in the window's title (and the taskbar's badge where there is one). */
  showUnread(count: number): Promise<void>;
  /** Searches every room and this user's direct messages on the host, newest first. */
  search(request: SearchRequest): Promise<SearchResults>;
  /** Opens an http(s) link from a message outside the app: the system browser (desktop), a new tab (browser). */
  openLink(url: string): Promise<void>;
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

export function asTransportError(error: unknown): TransportError {
  if (typeof error === 'object' && error !== null && 'kind' in error && 'message' in error) {
    const ipc = error as IpcError;
    return new TransportError(ipc.kind, ipc.message);
  }
  return new TransportError('internal', String(error));
}
