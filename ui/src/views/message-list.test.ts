import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../bindings';
import { addPending, apply, LOBBY, newChatState, roomKey, type ChatState, type Conversation } from '../store';
import { MessageList, reconcile, WINDOW_ROWS, WINDOW_STEP, type ListContext } from './message-list';
import type { MessageActions } from './message';
import { el } from '../dom';

function message(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    room: LOBBY,
    seq,
    ts: seq * 1000,
    from: seq % 2 ? 'bob' : 'ann',
    text: `m${seq}`,
    ...overrides,
  };
}

const actions = (): MessageActions => ({
  reply: vi.fn(),
  edit: vi.fn(),
  pick: vi.fn(),
  confirmDelete: vi.fn(),
  remove: vi.fn(async () => {}),
  react: vi.fn(async () => {}),
  jumpTo: vi.fn(),
  openLink: vi.fn(),
  attachment: () => ({ state: 'loading' }),
  fileSource: (file) => `banter-file://localhost/${file.id}`,
  saveFile: vi.fn(),
});

const context: ListContext = {
  me: 'Mira',
  canAct: true,
  owner: false,
  picking: null,
  confirming: null,
  names: ['Mira', 'ann', 'bob'],
  namesKey: 'Mira ann bob',
};

function lobby(state: ChatState): Conversation {
  return state.conversations.get(roomKey(LOBBY)) as Conversation;
}

function rows(list: MessageList): HTMLElement[] {
  return [...list.root.querySelectorAll<HTMLElement>('li[data-seq]')];
}

function chat(count: number): { state: ChatState; list: MessageList; act: MessageActions } {
  const state = newChatState('Mira');
  for (let seq = 1; seq <= count; seq += 1) apply(state, { type: 'message', message: message(seq) }, 0);
  const list = new MessageList({ loadOlder: async () => {} });
  document.body.replaceChildren(list.root);
  const act = actions();
  list.render(lobby(state), context, act);
  return { state, list, act };
}

describe('the message list', () => {
  it('appends one row for a new message and leaves the others, with focus and selection in them, alone', () => {
    const { state, list, act } = chat(3);
    const before = rows(list);
    expect(before).toHaveLength(3);
    const button = before[1].querySelector<HTMLButtonElement>('[data-testid="action-reply"]');
    button?.focus();
    const text = before[0].querySelector('.message-text') as HTMLElement;
    const selection = document.getSelection();
    selection?.selectAllChildren(text);

    apply(state, { type: 'message', message: message(4) }, 0);
    list.render(lobby(state), context, act);

    const after = rows(list);
    expect(after).toHaveLength(4);
    expect(after.slice(0, 3)).toEqual(before);
    after.slice(0, 3).forEach((row, index) => expect(row).toBe(before[index]));
    expect(document.activeElement).toBe(button);
    expect(selection?.toString()).toBe('m1');
    expect(selection?.anchorNode && text.contains(selection.anchorNode)).toBe(true);
  });

  it('rebuilds only the row of an edited or reacted message, and nothing for a typing notice', () => {
    const { state, list, act } = chat(3);
    const before = rows(list);
    apply(state, { type: 'typing', room: LOBBY, user: 'bob', active: true }, 0);
    list.render(lobby(state), context, act);
    rows(list).forEach((row, index) => expect(row).toBe(before[index]));

    apply(state, { type: 'changed', message: message(2, { text: 'm2, edited', editedAt: 5000, rev: 1 }) }, 0);
    list.render(lobby(state), context, act);
    const after = rows(list);
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1].textContent).toContain('m2, edited');
  });

  it('keeps a sent message in its row from "Sending…" to sent, rebuilding that row only', () => {
    const { state, list, act } = chat(2);
    addPending(state, roomKey(LOBBY), 'c1', 'on its way', 0);
    list.render(lobby(state), context, act);
    const pending = list.root.lastElementChild as HTMLElement;
    expect(pending.textContent).toContain('Sending…');
    const first = rows(list)[0];
    apply(state, { type: 'delivered', clientId: 'c1' }, 0);
    list.render(lobby(state), context, act);
    expect(list.root.lastElementChild?.textContent).not.toContain('Sending…');
    expect(rows(list)[0]).toBe(first);
  });

  it('keeps only a window of a 10,000-message conversation in the DOM, and moves it to what is asked for', () => {
    const { list } = chat(10_000);
    expect(rows(list)).toHaveLength(WINDOW_ROWS);
    expect(rows(list).at(-1)?.dataset.seq).toBe('10000');
    expect(list.window).toEqual({ start: 10_000 - WINDOW_ROWS, end: 10_000 });

    list.shift(-WINDOW_STEP);
    expect(rows(list)).toHaveLength(WINDOW_ROWS);
    expect(rows(list)[0].dataset.seq).toBe(String(10_000 - WINDOW_ROWS - WINDOW_STEP + 1));

    const found = list.reveal(42);
    expect(found?.dataset.seq).toBe('42');
    expect(rows(list)).toHaveLength(WINDOW_ROWS);
    expect(list.root.contains(found)).toBe(true);
    expect(list.reveal(123_456)).toBeNull();
  });

  it('lets the window grow with new messages while the reader is at the end, never past its size', () => {
    const { state, list, act } = chat(WINDOW_ROWS);
    for (let seq = WINDOW_ROWS + 1; seq <= WINDOW_ROWS + 30; seq += 1) {
      apply(state, { type: 'message', message: message(seq) }, 0);
      list.render(lobby(state), context, act);
    }
    expect(rows(list)).toHaveLength(WINDOW_ROWS);
    expect(rows(list).at(-1)?.dataset.seq).toBe(String(WINDOW_ROWS + 30));
  });

  it('offers the way back to the newest messages while the reader is away, counting those that came since', () => {
    const { state, list, act } = chat(300);
    // jsdom lays nothing out: the list is given a height, and a scroll position that it keeps.
    let top = 0;
    Object.defineProperty(list.root, 'scrollHeight', { configurable: true, value: 5000 });
    Object.defineProperty(list.root, 'clientHeight', { configurable: true, value: 500 });
    Object.defineProperty(list.root, 'scrollTop', {
      configurable: true,
      get: () => top,
      set: (value: number) => (top = Math.min(value, 4500)),
    });
    list.root.scrollTop = 4500;
    list.root.dispatchEvent(new Event('scroll'));
    expect(list.jump.hidden).toBe(true);

    list.root.scrollTop = 1000;
    list.root.dispatchEvent(new Event('scroll'));
    expect(list.jump.hidden).toBe(false);
    expect(list.jump.textContent).toBe('Jump to latest ↓');
    for (const seq of [301, 302]) {
      apply(state, { type: 'message', message: message(seq) }, 0);
      list.render(lobby(state), context, act);
    }
    expect(list.jump.textContent).toBe('2 new messages ↓');
    expect(list.root.scrollTop).toBe(1000);

    // From a window far up (a search hit), the button brings the newest rows back and goes away.
    list.reveal(42);
    list.jump.click();
    expect(rows(list).at(-1)?.dataset.seq).toBe('302');
    expect(list.root.scrollTop).toBe(4500);
    expect(list.jump.hidden).toBe(true);
  });

  it('draws the "new messages" line before the first message past the read mark', () => {
    const state = newChatState('Mira');
    apply(state, { type: 'read', room: LOBBY, seq: 2 }, 0);
    for (let seq = 1; seq <= 4; seq += 1) apply(state, { type: 'message', message: message(seq) }, 0);
    lobby(state).newAfter = 2;
    const list = new MessageList({ loadOlder: async () => {} });
    list.render(lobby(state), context, actions());
    const children = [...list.root.children] as HTMLElement[];
    const line = children.findIndex((child) => child.dataset.testid === 'new-messages');
    expect(children[line + 1]?.dataset.seq).toBe('3');
  });
});

describe('reconcile', () => {
  it('removes what is not wanted and inserts what is new, without moving nodes already in order', () => {
    const parent = el('ol');
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => el('li', {}, name));
    parent.append(a, b, c);
    const observer = new MutationObserver(() => {});
    observer.observe(parent, { childList: true });
    reconcile(parent, [b, c, d]);
    expect([...parent.children]).toEqual([b, c, d]);
    const touched = observer.takeRecords().flatMap((record) => [...record.removedNodes, ...record.addedNodes]);
    expect(touched).toEqual([a, d]);
    reconcile(parent, [d, b, c]);
    expect([...parent.children]).toEqual([d, b, c]);
  });
});
