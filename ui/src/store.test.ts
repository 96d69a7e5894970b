import { describe, expect, it } from 'vitest';
import type { DirectMessage, Message, UiEvent } from './bindings';
import {
  totalUnread,
  addOlder,
  addPending,
  apply,
  conversation,
  DEFAULT_LIMITS,
  dmKey,
  lastOwnMessage,
  messageAt,
  newChatState,
  notifyLevel,
  oldestSeq,
  open,
  placeOf,
  roomKey,
  typingNow,
  LOBBY,
  TYPING_TTL_MS,
} from './store';
import { roomDetails } from './views/sidebar';

function message(overrides: Partial<Message>): Message {
  return { id: 'm1', room: LOBBY, seq: 1, ts: 1000, from: 'bob', text: 'hi', ...overrides };
}

function texts(state: ReturnType<typeof newChatState>, key: string): string[] {
  return (state.conversations.get(key)?.items ?? []).map((item) =>
    item.kind === 'message' ? item.text : `* ${item.text}`,
  );
}

describe('the chat store', () => {
  it('puts a message sent while others spoke in its place by number once the host numbers it', () => {
    const state = newChatState('alice');
    addPending(state, roomKey(LOBBY), 'c1', 'mine', 0);
    addPending(state, roomKey(LOBBY), 'c2', 'mine too', 0);
    apply(state, { type: 'missed', room: LOBBY, messages: [message({ id: 'b1', seq: 1, text: 'theirs' })] }, 0);
    expect(texts(state, roomKey(LOBBY))).toEqual(['theirs', 'mine', 'mine too']);
    apply(
      state,
      { type: 'message', message: message({ id: 'a3', seq: 3, from: 'alice', text: 'mine too', clientId: 'c2' }) },
      0,
    );
    apply(state, { type: 'message', message: message({ id: 'b2', seq: 2, text: 'theirs again' }) }, 0);
    expect(texts(state, roomKey(LOBBY))).toEqual(['theirs', 'theirs again', 'mine too', 'mine']);
    // Its acknowledgement can come before the message, which carries the number.
    apply(state, { type: 'delivered', clientId: 'c1' }, 0);
    apply(state, { type: 'message', message: message({ id: 'b5', seq: 5, text: 'theirs last' }) }, 0);
    apply(
      state,
      { type: 'message', message: message({ id: 'a6', seq: 6, from: 'alice', text: 'mine', clientId: 'c1' }) },
      0,
    );
    expect(texts(state, roomKey(LOBBY))).toEqual(['theirs', 'theirs again', 'mine too', 'theirs last', 'mine']);
  });

  it('tells who is in a joined room and moves its last activity forward from the messages seen', () => {
    const state = newChatState('alice');
    const minute = 60_000;
    expect(roomDetails(state, 'ops', 100 * minute)).toBeNull();
    apply(state, { type: 'rooms', rooms: [{ name: 'Ops', members: 3, lastActive: 10 * minute }] }, 0);
    expect(roomDetails(state, 'ops', 100 * minute)).toBe('3 online · active 1 hour ago');
    apply(state, { type: 'message', message: message({ room: 'ops', id: 'n', ts: 99 * minute }) }, 0);
    expect(roomDetails(state, 'OPS', 100 * minute)).toBe('3 online · active 1 minute ago');
    // An older message (history paged in) does not move it back.
    apply(state, { type: 'message', message: message({ room: 'ops', id: 'o', seq: 0, ts: 5 * minute }) }, 0);
    expect(roomDetails(state, 'ops', 100 * minute)).toBe('3 online · active 1 minute ago');
  });

  it('shows a sent message as pending until the host confirms it, once', () => {
    const state = newChatState('alice');
    addPending(state, roomKey(LOBBY), 'c1', 'hello', 10);
    const pending = state.conversations.get(roomKey(LOBBY))?.items[0];
    expect(pending?.kind === 'message' && pending.pending).toBe(true);
    apply(state, { type: 'message', message: message({ id: 'm9', from: 'alice', text: 'hello', clientId: 'c1' }) }, 20);
    const items = state.conversations.get(roomKey(LOBBY))?.items ?? [];
    expect(items).toHaveLength(1);
    expect(items[0].kind === 'message' && !items[0].pending && items[0].id === 'm9').toBe(true);
  });

  it('does not add a pending copy when the confirmation came first', () => {
    const state = newChatState('alice');
    apply(state, { type: 'message', message: message({ from: 'alice', clientId: 'c1' }) }, 5);
    addPending(state, roomKey(LOBBY), 'c1', 'hi', 10);
    expect(texts(state, roomKey(LOBBY))).toEqual(['hi']);
  });

  it('keeps room messages in the host order even when they arrive out of order', () => {
    const state = newChatState('alice');
    apply(state, { type: 'message', message: message({ id: 'b', seq: 2, text: 'second' }) }, 1);
    apply(state, { type: 'message', message: message({ id: 'a', seq: 1, text: 'first' }) }, 2);
    expect(texts(state, roomKey(LOBBY))).toEqual(['first', 'second']);
  });

  it('counts unread messages in other conversations only, and clears them on open', () => {
    const state = newChatState('alice');
    apply(
      state,
      { type: 'joined', joined: { room: 'ops', members: ['alice'], history: [], latestSeq: 0, latestRev: 0 } },
      0,
    );
    apply(state, { type: 'message', message: message({ room: 'ops', id: 'x' }) }, 1);
    apply(state, { type: 'message', message: message({ room: LOBBY, id: 'y' }) }, 1);
    expect(state.conversations.get(roomKey('ops'))?.unread).toBe(1);
    expect(state.conversations.get(roomKey(LOBBY))?.unread).toBe(0);
    open(state, roomKey('ops'));
    expect(state.conversations.get(roomKey('ops'))?.unread).toBe(0);
  });

  it('files direct messages under the other person, whoever sent them', () => {
    const state = newChatState('alice');
    const dm = (from: string, to: string, id: string, seq: number): UiEvent => ({
      type: 'direct',
      message: { id, conversation: 'c1', seq, ts: 1, from, to, text: id },
    });
    apply(state, dm('alice', 'bob', 'two', 2), 2);
    apply(state, dm('bob', 'alice', 'one', 1), 1);
    expect(texts(state, dmKey('bob'))).toEqual(['one', 'two']);
  });

  it('applies changes and read marks to a direct conversation by its id, and acts on it by that id', () => {
    const state = newChatState('alice');
    const dm = (id: string, seq: number, extra: Partial<DirectMessage> = {}): DirectMessage => ({
      id,
      conversation: 'c7',
      seq,
      ts: 1,
      from: 'bob',
      to: 'alice',
      text: id,
      ...extra,
    });
    expect(placeOf(conversation(state, 'dm', 'bob'))).toBeNull();
    apply(state, { type: 'direct', message: dm('one', 1) }, 1);
    apply(state, { type: 'direct', message: dm('two', 2, { replyTo: { seq: 1, from: 'bob', snippet: 'one' } }) }, 2);
    const target = state.conversations.get(dmKey('bob'));
    expect(target && placeOf(target)).toEqual({ kind: 'dm', conversation: 'c7', with: 'bob' });
    expect(target?.unread).toBe(2);
    // An edit of the first message changes it and the quote of the reply; a stale state changes nothing.
    apply(state, { type: 'directChanged', message: dm('one', 1, { text: 'one, edited', rev: 2 }) }, 3);
    apply(state, { type: 'directChanged', message: dm('one', 1, { text: 'older', rev: 1 }) }, 3);
    expect(texts(state, dmKey('bob'))).toEqual(['one, edited', 'two']);
    const reply = target?.items[1];
    expect(reply?.kind === 'message' && reply.replyTo?.snippet).toBe('one, edited');
    // Another conversation's change, and one of a conversation not shown, leave this one alone.
    apply(state, { type: 'directChanged', message: { ...dm('one', 1, { rev: 9 }), conversation: 'c8' } }, 3);
    expect(texts(state, dmKey('bob'))).toEqual(['one, edited', 'two']);
    // Read on another device: the badge clears here.
    apply(state, { type: 'directRead', conversation: 'c7', seq: 2 }, 4);
    expect(target?.unread).toBe(0);
    expect(totalUnread(state)).toBe(0);
  });

  it('counts a direct conversation unread from the read mark its welcome carries', () => {
    const state = newChatState('alice');
    const lastMessage = { id: 'd3', conversation: 'c2', seq: 3, ts: 1, from: 'bob', to: 'alice', text: 'hi' };
    const welcome = (readSeq: number): UiEvent => ({
      type: 'welcome',
      me: 'alice',
      hostId: 'h1',
      users: [],
      rooms: [],
      history: [],
      memberOf: [],
      conversations: [{ with: 'bob', lastMessage, readSeq, latestRev: 0 }],
      limits: DEFAULT_LIMITS,
      reads: [],
      notify: [],
    });
    apply(state, welcome(2), 0);
    expect(state.conversations.get(dmKey('bob'))?.unread).toBe(1);
    apply(state, welcome(3), 0);
    expect(state.conversations.get(dmKey('bob'))?.unread).toBe(0);
  });

  it('turns arrivals and departures into notices and member lists', () => {
    const state = newChatState('alice');
    apply(
      state,
      { type: 'joined', joined: { room: 'ops', members: ['alice'], history: [], latestSeq: 0, latestRev: 0 } },
      0,
    );
    apply(state, { type: 'memberJoined', room: 'ops', user: 'bob' }, 1);
    expect(state.conversations.get(roomKey('ops'))?.members).toEqual(['alice', 'bob']);
    apply(state, { type: 'memberLeft', rooms: ['ops', LOBBY], user: 'bob', reason: 'disconnected' }, 2);
    expect(state.conversations.get(roomKey('ops'))?.members).toEqual(['alice']);
    expect(texts(state, roomKey('ops'))).toEqual(['* bob joined', '* bob went offline']);
    expect(texts(state, roomKey(LOBBY))).toEqual(['* bob went offline']);
  });

  it('expires typing indicators', () => {
    const state = newChatState('alice');
    apply(state, { type: 'typing', room: LOBBY, user: 'bob', active: true }, 0);
    const lobby = state.conversations.get(roomKey(LOBBY));
    expect(lobby && typingNow(lobby, 1)).toEqual(['bob']);
    expect(lobby && typingNow(lobby, TYPING_TTL_MS + 1)).toEqual([]);
  });

  it('settles a message whose outcome arrived before it was shown as pending', () => {
    const state = newChatState('alice');
    apply(state, { type: 'delivered', clientId: 'c1' }, 1);
    apply(state, { type: 'sendFailed', clientId: 'c2', error: { kind: 'invalid', message: 'nope' } }, 1);
    addPending(state, roomKey(LOBBY), 'c1', 'first', 2);
    addPending(state, roomKey(LOBBY), 'c2', 'second', 2);
    const items = state.conversations.get(roomKey(LOBBY))?.items ?? [];
    expect(items.map((item) => (item.kind === 'message' ? [item.pending, item.failed] : []))).toEqual([
      [false, null],
      [false, 'nope'],
    ]);
    expect(state.early.size).toBe(0);
  });

  it('shows a message the host cannot keep yet as waiting, until it is kept', () => {
    const state = newChatState('alice');
    addPending(state, roomKey(LOBBY), 'c1', 'x', 0);
    const error = { kind: 'storage_unavailable' as const, message: 'The host cannot reach the chat’s server.' };
    apply(state, { type: 'held', clientId: 'c1', error }, 1);
    const held = state.conversations.get(roomKey(LOBBY))?.items[0];
    expect(held?.kind === 'message' && [held.pending, held.waiting]).toEqual([true, error.message]);
    apply(state, { type: 'delivered', clientId: 'c1' }, 2);
    const kept = state.conversations.get(roomKey(LOBBY))?.items[0];
    expect(kept?.kind === 'message' && [kept.pending, kept.waiting]).toEqual([false, undefined]);
  });

  it('marks refused messages with the reason', () => {
    const state = newChatState('alice');
    addPending(state, roomKey(LOBBY), 'c1', 'x', 0);
    apply(state, { type: 'sendFailed', clientId: 'c1', error: { kind: 'too_large', message: 'too long' } }, 1);
    const item = state.conversations.get(roomKey(LOBBY))?.items[0];
    expect(item?.kind === 'message' && item.failed).toBe('too long');
  });

  it('splits plain-server strings into sender and text when they look like "name: text"', () => {
    const state = newChatState('alice');
    apply(state, { type: 'plain', text: 'bob: hello there' }, 1);
    apply(state, { type: 'plain', text: 'no sender here' }, 2);
    const items = state.conversations.get(roomKey(LOBBY))?.items ?? [];
    expect(items.map((item) => (item.kind === 'message' ? [item.from, item.text] : []))).toEqual([
      ['bob', 'hello there'],
      ['someone', 'no sender here'],
    ]);
  });

  it('keeps the notification level of each room as the host tells it, from the welcome and from any device', () => {
    const state = newChatState('alice');
    expect(notifyLevel(state, 'ops')).toBe('mentions');
    apply(state, { ...welcome('h1'), notify: [{ room: 'Ops', level: 'all' }] } as UiEvent, 0);
    expect(notifyLevel(state, 'ops')).toBe('all');
    apply(state, { type: 'notifyChanged', setting: { room: 'ops', level: 'nothing' } }, 0);
    expect(notifyLevel(state, 'OPS')).toBe('nothing');
    expect(notifyLevel(state, 'random')).toBe('mentions');
    apply(state, { ...welcome('h1'), notify: [] } as UiEvent, 0);
    expect(notifyLevel(state, 'ops')).toBe('mentions');
  });

  function welcome(hostId: string, history: Message[] = []): UiEvent {
    return {
      type: 'welcome',
      me: 'alice',
      hostId,
      users: [],
      rooms: [],
      history,
      memberOf: [],
      conversations: [],
      limits: { ...DEFAULT_LIMITS, maxMessageChars: 500 },
      reads: [],
      notify: [],
    };
  }

  it('forgets what another host said when a different host answers', () => {
    const state = newChatState('alice');
    expect(state.limits.maxMessageChars).toBe(4000);
    apply(state, welcome('host-a', [message({ id: 'old', text: 'from the old host' })]), 1);
    expect(state.limits.maxMessageChars).toBe(500);
    apply(
      state,
      { type: 'joined', joined: { room: 'ops', members: ['alice'], history: [], latestSeq: 0, latestRev: 0 } },
      2,
    );
    apply(state, welcome('host-a'), 3);
    expect(texts(state, roomKey(LOBBY))).toEqual(['from the old host']);
    apply(state, welcome('host-b', [message({ id: 'new', text: 'from the new host' })]), 4);
    expect(state.conversations.has(roomKey('ops'))).toBe(false);
    expect(texts(state, roomKey(LOBBY))).toEqual([
      '* This is not the host you were talking to before (it was replaced or reset): the earlier conversation is not here.',
      'from the new host',
    ]);
  });

  it('shows each direct conversation of the welcome with its last message', () => {
    const state = newChatState('alice');
    const last = { id: 'd7', conversation: 'c3', seq: 7, ts: 5, from: 'bob', to: 'alice', text: 'see you' };
    apply(state, { ...welcome('h'), conversations: [{ with: 'bob', lastMessage: last }] } as UiEvent, 1);
    expect(texts(state, dmKey('bob'))).toEqual(['see you']);
    expect(state.conversations.get(dmKey('bob'))?.unread).toBe(0);
  });

  it('adds missed messages in order and counts them as unread', () => {
    const state = newChatState('alice');
    apply(
      state,
      {
        type: 'joined',
        joined: {
          room: 'ops',
          members: ['alice'],
          history: [message({ room: 'ops', id: 'a', seq: 1, text: 'one' })],
          latestSeq: 3,
          latestRev: 0,
        },
      },
      0,
    );
    const missed = [
      message({ room: 'ops', id: 'b', seq: 2, text: 'two' }),
      message({ room: 'ops', id: 'c', seq: 3, text: 'three' }),
    ];
    apply(state, { type: 'missed', room: 'ops', messages: missed }, 1);
    expect(texts(state, roomKey('ops'))).toEqual(['one', 'two', 'three']);
    expect(state.conversations.get(roomKey('ops'))?.unread).toBe(2);
  });

  it('puts older messages before the ones shown, and knows when there are no more', () => {
    const state = newChatState('alice');
    apply(state, { type: 'message', message: message({ id: 'c', seq: 30, text: 'thirty' }) }, 0);
    const lobby = state.conversations.get(roomKey(LOBBY));
    expect(lobby && oldestSeq(lobby)).toBe(30);
    addOlder(
      state,
      roomKey(LOBBY),
      [message({ id: 'a', seq: 28, text: 'twenty-eight' }), message({ id: 'b', seq: 29, text: 'twenty-nine' })],
      2,
    );
    expect(texts(state, roomKey(LOBBY))).toEqual(['twenty-eight', 'twenty-nine', 'thirty']);
    expect(lobby?.olderAvailable).toBe(true);
    addOlder(state, roomKey(LOBBY), [message({ id: 'z', seq: 27, text: 'twenty-seven' })], 50);
    expect(lobby?.olderAvailable).toBe(false);
  });

  it('drops a deleted room and says so in the lobby', () => {
    const state = newChatState('alice');
    apply(
      state,
      { type: 'joined', joined: { room: 'ops', members: ['alice'], history: [], latestSeq: 0, latestRev: 0 } },
      0,
    );
    open(state, roomKey('ops'));
    apply(state, { type: 'roomDeleted', room: 'ops' }, 1);
    expect(state.conversations.has(roomKey('ops'))).toBe(false);
    expect(state.current).toBe(roomKey(LOBBY));
    expect(texts(state, roomKey(LOBBY))).toEqual(["* The host's owner deleted the room #ops and its messages."]);
  });

  it('takes a changed message only when it is newer, and keeps quotes of it current', () => {
    const state = newChatState('alice');
    const lobby = () => state.conversations.get(roomKey(LOBBY))!;
    apply(state, { type: 'message', message: message({ id: 'q', seq: 1, text: 'who has the keys?' }) }, 0);
    apply(
      state,
      {
        type: 'message',
        message: message({
          id: 'r',
          seq: 2,
          from: 'alice',
          text: 'I do',
          replyTo: { seq: 1, from: 'bob', snippet: 'who has the keys?' },
        }),
      },
      0,
    );
    apply(
      state,
      {
        type: 'changed',
        message: message({ id: 'q', seq: 1, text: 'who has the key?', editedAt: 5, rev: 3, replies: 1 }),
      },
      0,
    );
    expect(messageAt(lobby(), 1)).toMatchObject({ text: 'who has the key?', editedAt: 5, replies: 1, rev: 3 });
    expect(messageAt(lobby(), 2)?.replyTo?.snippet).toBe('who has the key?');
    // An older state (a page read before the change) changes nothing, whichever way it arrives.
    apply(state, { type: 'changed', message: message({ id: 'q', seq: 1, text: 'stale', rev: 2 }) }, 0);
    apply(state, { type: 'missed', room: LOBBY, messages: [message({ id: 'q', seq: 1, text: 'older page' })] }, 0);
    expect(messageAt(lobby(), 1)?.text).toBe('who has the key?');
    apply(state, { type: 'changed', message: message({ id: 'q', seq: 1, text: '', deleted: true, rev: 4 }) }, 0);
    expect(messageAt(lobby(), 1)).toMatchObject({ deleted: true, text: '' });
    expect(messageAt(lobby(), 2)?.replyTo).toMatchObject({ deleted: true, snippet: '' });
    // A change to a message not shown is left for the page that brings it.
    apply(state, { type: 'changed', message: message({ id: 'x', seq: 9, text: 'not here', rev: 5 }) }, 0);
    expect(messageAt(lobby(), 9)).toBeNull();
  });

  it('finds the last message of ones own that can be edited', () => {
    const state = newChatState('alice');
    const lobby = () => state.conversations.get(roomKey(LOBBY))!;
    apply(state, { type: 'message', message: message({ id: 'a', seq: 1, from: 'Alice', text: 'mine' }) }, 0);
    apply(state, { type: 'message', message: message({ id: 'b', seq: 2, from: 'bob', text: 'theirs' }) }, 0);
    expect(lastOwnMessage(state, lobby())?.seq).toBe(1);
    apply(
      state,
      { type: 'changed', message: message({ id: 'a', seq: 1, from: 'Alice', text: '', deleted: true, rev: 1 }) },
      0,
    );
    expect(lastOwnMessage(state, lobby())).toBeNull();
    addPending(state, roomKey(LOBBY), 'c9', 'on its way', 0);
    expect(lastOwnMessage(state, lobby())).toBeNull();
  });

  it("counts unread from the host's read mark, from any device, and marks where the new messages begin", () => {
    const state = newChatState('alice');
    apply(
      state,
      { type: 'joined', joined: { room: 'ops', members: ['alice'], history: [], latestSeq: 0, latestRev: 0 } },
      0,
    );
    for (const seq of [1, 2, 3, 4])
      apply(state, { type: 'message', message: message({ room: 'ops', id: `o${seq}`, seq }) }, 0);
    const ops = state.conversations.get(roomKey('ops'))!;
    expect(ops.unread).toBe(4);
    expect(totalUnread(state)).toBe(4);
    // Read up to 3 on another device: one is left, here too.
    apply(state, { type: 'read', room: 'ops', seq: 3 }, 0);
    expect(ops.readSeq).toBe(3);
    expect(ops.unread).toBe(1);
    // A mark never moves back.
    apply(state, { type: 'read', room: 'ops', seq: 1 }, 0);
    expect(ops.readSeq).toBe(3);
    open(state, roomKey('ops'));
    expect(ops.newAfter).toBe(3);
    expect(totalUnread(state)).toBe(0);
    open(state, roomKey(LOBBY));
    expect(ops.newAfter).toBeNull();
  });
});
