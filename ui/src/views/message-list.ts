// The open conversation's messages, rendered incrementally. Each row is built once for its item and kept while the
// item (the same object: the store replaces items, never changes them in place) and what else the row shows stay
// the same. A new message appends one row, an edit or a reaction rebuilds one row, and everything else is left as
// it is in the DOM, so focus, a text selection and the reader's place survive whatever arrives.
//
// Only a window of a long conversation is in the DOM (WINDOW_ROWS rows). Scrolling past either edge moves the
// window by WINDOW_STEP rows, keeping the row the reader looks at where it was on screen; at the top of what is
// loaded, it asks the host for older messages.
import type { ChatItem, Conversation } from '../store';
import { newestSeq, oldestSeq } from '../store';
import { el } from '../dom';
import { continuesGroup } from '../format';
import { messageRow, type MessageActions, type RowContext } from './message';

/** Rows in the DOM at most: enough to fill a tall window several times, few enough that a render stays cheap. */
export const WINDOW_ROWS = 200;
/** Rows the window moves by when the reader scrolls past its edge. */
export const WINDOW_STEP = 50;
/** How close to an edge (in pixels) the reader must scroll for the window to move. */
const EDGE_PX = 80;

export interface ListContext extends RowContext {
  /** Changes whenever the names a message may mention change: rows with an `@` depend on it. */
  namesKey: string;
}

export interface ListHooks {
  /** Fetches older messages from the host; the list is rendered again when they are in. */
  loadOlder(): Promise<void>;
}

interface Row {
  node: HTMLElement;
  signature: string;
}

/** What identifies an item across its states: a message keeps its client id from "sending" to "sent". */
function itemKey(item: ChatItem): string {
  if (item.kind === 'notice') return item.id;
  return item.clientId !== null ? `c:${item.clientId}` : `m:${item.id}`;
}

export class MessageList {
  readonly root = el('ol', { class: 'messages', testid: 'messages', attrs: { 'aria-live': 'polite' } });
  private rows = new WeakMap<ChatItem, Row>();
  private readonly olderButton = el('button', {
    class: 'link-button',
    testid: 'load-older',
    attrs: { type: 'button' },
    on: { click: () => this.requestOlder() },
  });
  private readonly olderRow = el('li', { class: 'older' }, this.olderButton);
  /** Shown while the reader is away from the newest messages: back to them, counting those that came since. */
  readonly jump = el('button', {
    class: 'jump-latest',
    testid: 'jump-latest',
    attrs: { type: 'button', hidden: '' },
    on: { click: () => this.toLatest() },
  });
  /** The newest message when the reader left the newest messages; null while they are there. */
  private awaySeq: number | null = null;
  private readonly emptyRow = el('li', { class: 'empty-state' });
  private newLine: { after: number; node: HTMLElement } | null = null;
  private conversationKey = '';
  /** The window: items [start, end) are in the DOM. Kept across renders by the keys of its first and last item. */
  private start = 0;
  private end = 0;
  private firstKey: string | null = null;
  private lastKey: string | null = null;
  /** The window ends at the conversation's newest item, so new ones join it. */
  private atTail = true;
  private loadingOlder = false;
  /** Older messages were asked for at the window's top: once in, the window takes them in. */
  private revealOlder = false;
  private last: { current: Conversation; context: ListContext; actions: MessageActions } | null = null;
  /** The reader is at the newest messages: set when they are drawn or scrolled to, cleared only when the reader
   *  scrolls up. Content that grows below the reader (an image or a video that loads, and grows its row) does not
   *  clear it, whichever comes first, the layout or its `load` event: the reader stays at the newest messages. */
  private stuck = true;
  private lastTop = 0;

  constructor(private readonly hooks: ListHooks) {
    this.root.addEventListener('scroll', () => this.onScroll());
    // `load` does not bubble: caught on the way down instead.
    const onMedia = () => {
      if (this.stuck && this.atTail) this.root.scrollTop = this.root.scrollHeight;
    };
    this.root.addEventListener('load', onMedia, true);
    this.root.addEventListener('loadedmetadata', onMedia, true);
  }

  /** The items in the DOM, as indexes into the conversation (for tests and for jumps). */
  get window(): { start: number; end: number } {
    return { start: this.start, end: this.end };
  }

  render(current: Conversation, context: ListContext, actions: MessageActions): void {
    this.last = { current, context, actions };
    const switched = this.conversationKey !== current.key;
    if (switched) {
      this.conversationKey = current.key;
      this.rows = new WeakMap();
      this.newLine = null;
      this.revealOlder = false;
      this.atTail = true;
      this.firstKey = null;
      this.awaySeq = null;
    }
    const atBottom = this.stuck || this.nearBottom();
    const followBottom = switched || (this.atTail && atBottom);
    this.placeWindow(current.items, followBottom);
    this.draw(current, context, actions, followBottom ? 'bottom' : 'keep');
    // A reader at the bottom of a window that has newer rows after it cannot scroll to them: it moves for them.
    if (!followBottom && atBottom && this.end < current.items.length) this.shift(WINDOW_STEP);
    this.stuck = followBottom || this.nearBottom();
    this.lastTop = this.root.scrollTop;
    this.updateJump();
  }

  /** Back to the newest messages, wherever the window was. */
  toLatest(): void {
    const last = this.last;
    if (!last) return;
    const items = last.current.items;
    this.setWindow(items, Math.max(0, items.length - WINDOW_ROWS), items.length);
    this.draw(last.current, last.context, last.actions, 'bottom');
    this.updateJump();
  }

  /** Shows the way back to the newest messages while the reader is away from them, with how many came since. */
  private updateJump(): void {
    const last = this.last;
    if (!last) return;
    if (this.atTail && (this.stuck || this.nearBottom())) {
      this.awaySeq = null;
      this.jump.hidden = true;
      return;
    }
    this.awaySeq ??= newestSeq(last.current);
    let fresh = 0;
    const items = last.current.items;
    for (let index = items.length - 1; index >= 0; index -= 1) {
      const item = items[index];
      if (item.kind !== 'message' || item.seq === 0) continue;
      if (item.seq <= this.awaySeq) break;
      fresh += 1;
    }
    this.jump.textContent = fresh > 0 ? `${fresh} new message${fresh === 1 ? '' : 's'} ↓` : 'Jump to latest ↓';
    this.jump.hidden = false;
  }

  /** Moves the window so that the message numbered `seq` is in it, and answers its row (null if not loaded). */
  reveal(seq: number): HTMLElement | null {
    const last = this.last;
    if (!last) return null;
    const items = last.current.items;
    const index = items.findIndex((item) => item.kind === 'message' && item.seq === seq);
    if (index < 0) return null;
    if (index < this.start || index >= this.end) {
      const start = Math.max(0, Math.min(index - WINDOW_ROWS / 2, items.length - WINDOW_ROWS));
      this.setWindow(items, start, Math.min(items.length, start + WINDOW_ROWS));
      this.draw(last.current, last.context, last.actions, 'keep');
    }
    return this.root.querySelector<HTMLElement>(`li[data-seq="${seq}"]`);
  }

  /** Scrolling past the window's top shows older rows (fetching them at the top of what is loaded); past its
   *  bottom, newer ones. */
  private onScroll(): void {
    const last = this.last;
    if (!last) return;
    const top = this.root.scrollTop;
    if (this.nearBottom()) this.stuck = true;
    else if (top < this.lastTop) this.stuck = false;
    this.lastTop = top;
    if (this.root.scrollTop < EDGE_PX) {
      if (this.start > 0) this.shift(-WINDOW_STEP);
      else this.requestOlder();
    } else if (!this.atTail && this.nearBottom(EDGE_PX) && this.end < last.current.items.length) {
      // (A window at the tail as last drawn follows new rows on the render that shows them.)
      this.shift(WINDOW_STEP);
    }
    this.updateJump();
  }

  /** Moves the window by `by` rows (negative: up), keeping its size. */
  shift(by: number): void {
    const last = this.last;
    if (!last) return;
    const items = last.current.items;
    const size = Math.min(WINDOW_ROWS, items.length);
    const start = Math.max(0, Math.min(this.start + by, items.length - size));
    if (start === this.start) return;
    this.setWindow(items, start, start + size);
    this.draw(last.current, last.context, last.actions, 'keep');
  }

  private requestOlder(): void {
    const last = this.last;
    if (!last || this.loadingOlder || !last.current.olderAvailable) return;
    this.loadingOlder = true;
    this.revealOlder = true;
    this.olderButton.textContent = 'Loading older messages…';
    void this.hooks.loadOlder().finally(() => {
      this.loadingOlder = false;
      this.olderButton.textContent = 'Show older messages';
    });
  }

  private nearBottom(within = 40): boolean {
    return this.root.scrollHeight - this.root.scrollTop - this.root.clientHeight < within;
  }

  private setWindow(items: readonly ChatItem[], start: number, end: number): void {
    this.start = start;
    this.end = end;
    this.firstKey = start < end ? itemKey(items[start]) : null;
    this.lastKey = start < end ? itemKey(items[end - 1]) : null;
    this.atTail = end === items.length;
  }

  /** Finds the window again in the conversation as it is now (items may have come before, after or in it). */
  private placeWindow(items: readonly ChatItem[], followBottom: boolean): void {
    const indexOf = (key: string | null) => (key === null ? -1 : items.findIndex((item) => itemKey(item) === key));
    let start = indexOf(this.firstKey);
    if (start < 0) start = Math.min(this.start, items.length);
    let end = this.atTail ? items.length : indexOf(this.lastKey) + 1;
    if (end <= start) end = Math.min(items.length, start + WINDOW_ROWS);
    if (this.revealOlder && start > 0) {
      // The page asked for at the top came in: it is what the reader scrolls into.
      start = Math.max(0, start - WINDOW_STEP);
      this.revealOlder = false;
    }
    if (followBottom) {
      end = items.length;
      start = Math.max(0, Math.min(start, end - WINDOW_ROWS));
      if (end - start > WINDOW_ROWS) start = end - WINDOW_ROWS;
    } else if (end - start > WINDOW_ROWS) {
      end = start + WINDOW_ROWS;
    }
    this.setWindow(items, start, end);
  }

  /** Puts the window's rows in the DOM, building only those whose inputs changed, and keeps the reader's place. */
  private draw(current: Conversation, context: ListContext, actions: MessageActions, scroll: 'bottom' | 'keep'): void {
    const items = current.items;
    const wanted: HTMLElement[] = [];
    if (items.length === 0) {
      this.emptyRow.textContent =
        current.kind === 'room'
          ? `No messages in #${current.name} yet. Say hello!`
          : `This is the start of your conversation with ${current.name}.`;
      wanted.push(this.emptyRow);
    }
    if (this.start === 0 && current.olderAvailable && (oldestSeq(current) ?? 0) > 1) {
      if (!this.loadingOlder) this.olderButton.textContent = 'Show older messages';
      wanted.push(this.olderRow);
    }
    // The "new messages" line: before the first message past the read mark the conversation was opened with.
    const after = current.newAfter;
    const firstNew = after === null ? -1 : items.findIndex((item) => item.kind === 'message' && item.seq > after);
    for (let index = this.start; index < this.end; index += 1) {
      const startsNew = index === firstNew;
      if (startsNew) wanted.push(this.newLineRow(after ?? 0));
      wanted.push(this.row(items[index], items[index - 1], startsNew, context, actions));
    }
    // The row's item, not its node: the row itself may have been built again (it starts a group no longer).
    const anchor = scroll === 'keep' ? this.visibleItem() : null;
    const anchorTop = anchor?.node.getBoundingClientRect().top ?? 0;
    reconcile(this.root, wanted);
    const anchorNow = anchor && this.rows.get(anchor.item)?.node;
    if (scroll === 'bottom') {
      this.root.scrollTop = this.root.scrollHeight;
    } else if (anchorNow?.isConnected) {
      this.root.scrollTop += anchorNow.getBoundingClientRect().top - anchorTop;
    }
  }

  private newLineRow(after: number): HTMLElement {
    if (this.newLine?.after !== after) {
      this.newLine = {
        after,
        node: el('li', { class: 'new-line', testid: 'new-messages', attrs: { role: 'separator' } }, 'New messages'),
      };
    }
    return this.newLine.node;
  }

  private row(
    item: ChatItem,
    previous: ChatItem | undefined,
    startsNew: boolean,
    context: ListContext,
    actions: MessageActions,
  ): HTMLElement {
    if (item.kind === 'notice') {
      const kept = this.rows.get(item);
      if (kept) return kept.node;
      const node = el('li', { class: 'notice', testid: 'notice' }, item.text);
      this.rows.set(item, { node, signature: '' });
      return node;
    }
    const grouped = !startsNew && continuesGroup(previous, item);
    const attachment = item.attachment && !item.deleted ? actions.attachment(item.attachment.id) : null;
    // Everything the row shows besides the item itself.
    const signature = [
      grouped,
      context.me,
      context.canAct,
      context.owner,
      context.picking === item.seq,
      context.confirming === item.seq,
      attachment ? `${attachment.state}:${attachment.state === 'ready' ? attachment.url : ''}` : '',
      item.text.includes('@') ? context.namesKey : '',
    ].join('\u0000');
    const kept = this.rows.get(item);
    if (kept && kept.signature === signature) return kept.node;
    const node = messageRow(context, item, grouped, actions);
    this.rows.set(item, { node, signature });
    return node;
  }

  /** The first item of the window at least partly on screen: the one whose place is kept while rows come and go
   *  around it. */
  private visibleItem(): { item: ChatItem; node: HTMLElement } | null {
    const last = this.last;
    if (!last) return null;
    const top = this.root.getBoundingClientRect().top;
    for (const item of last.current.items.slice(this.start, this.end)) {
      const node = this.rows.get(item)?.node;
      if (node?.isConnected && node.getBoundingClientRect().bottom > top) return { item, node };
    }
    return null;
  }
}

/** Makes `parent`'s children exactly `wanted`, moving only what is out of place: nodes kept in order are not
 *  touched (moving a node would lose the focus or selection inside it). */
export function reconcile(parent: HTMLElement, wanted: readonly HTMLElement[]): void {
  const keep = new Set<Node>(wanted);
  for (const child of [...parent.childNodes]) if (!keep.has(child)) child.remove();
  let cursor = parent.firstChild;
  for (const node of wanted) {
    if (cursor === node) {
      cursor = cursor.nextSibling;
    } else {
      parent.insertBefore(node, cursor);
    }
  }
}
