// How far a browser guest has read each conversation: the web transport's twin of the engine's client cursor
// (crates/banter-core/src/client/cursor.rs), following the same contract (docs/PROTOCOL.md, "Catching up"). The
// host numbers a conversation's messages 1, 2, 3… without gaps and sends them in order, so the last number reported
// says what the guest has; a message numbered past the next one is held while what came between is fetched.

/** Something numbered within its conversation. */
export interface Numbered {
  seq: number;
}

/** What to do after a message or a page arrived. */
export interface Advance<T> {
  /** Messages to report now, in order. */
  ready: T[];
  /** Ask the host for what comes after this number. */
  fetchAfter: number | null;
}

/** Held messages past which a cursor stops waiting for its gap to fill, so a host that cannot answer a catch-up
 * does not make the page hold messages without end. */
const HOLD_LIMIT = 5000;

export class Cursor<T extends Numbered> {
  private lastSeq: number | null = null;
  private readonly held = new Map<number, T>();
  private fetching = false;

  /** The last number reported, once the cursor has started. */
  last(): number | null {
    return this.lastSeq;
  }

  /** Forgets an unanswered catch-up: the connection that carried it is gone. */
  forgetFetch(): void {
    this.fetching = false;
  }

  /** Starts a cursor that has no number yet at `last`. */
  startAt(last: number): void {
    if (this.lastSeq === null) this.lastSeq = last;
  }

  /** A message pushed by the host. */
  live(message: T): Advance<T> {
    if (this.lastSeq === null) {
      this.held.set(message.seq, message);
      return { ready: [], fetchAfter: null };
    }
    if (message.seq <= this.lastSeq) return { ready: [], fetchAfter: null };
    this.held.set(message.seq, message);
    const ready = this.release();
    let fetchAfter: number | null = null;
    if (this.held.size > HOLD_LIMIT) ready.push(...this.releaseAll());
    else if (this.held.size > 0 && !this.fetching) {
      this.fetching = true;
      fetchAfter = this.lastSeq;
    }
    return { ready, fetchAfter };
  }

  /** A page of history, oldest first, from a join or a catch-up; `latest` is the newest number the host had, and
   * `after` the number the page was asked to start after (null for the newest messages). */
  page(messages: T[], latest: number, after: number | null): Advance<T> {
    this.fetching = false;
    if (this.lastSeq === null) this.lastSeq = messages.length > 0 ? Math.max(0, messages[0].seq - 1) : latest;
    // A page that starts after this cursor's number (or before it) says what exists from there: numbers it skips
    // were deleted with their room, and will never come.
    if (after !== null && after <= this.lastSeq && messages.length > 0 && messages[0].seq > this.lastSeq + 1) {
      this.lastSeq = messages[0].seq - 1;
    }
    for (const message of messages) if (message.seq > (this.lastSeq ?? 0)) this.held.set(message.seq, message);
    const ready = this.release();
    const last = this.lastSeq ?? 0;
    if (last < latest && messages.length > 0) {
      this.fetching = true;
      return { ready, fetchAfter: last };
    }
    if (this.held.size > 0) ready.push(...this.releaseAll());
    return { ready, fetchAfter: null };
  }

  private release(): T[] {
    const ready: T[] = [];
    while (this.lastSeq !== null) {
      const next = this.held.get(this.lastSeq + 1);
      if (!next) break;
      this.held.delete(this.lastSeq + 1);
      this.lastSeq += 1;
      ready.push(next);
    }
    const last = this.lastSeq ?? 0;
    for (const seq of [...this.held.keys()]) if (seq <= last) this.held.delete(seq);
    return ready;
  }

  private releaseAll(): T[] {
    const held = [...this.held.values()].sort((a, b) => a.seq - b.seq);
    this.held.clear();
    if (held.length > 0) this.lastSeq = Math.max(this.lastSeq ?? 0, held[held.length - 1].seq);
    return held;
  }
}
