// The last change number (`rev`) a browser guest has of each room: the web transport's twin of the engine's
// crates/banter-core/src/client/revisions.rs, with the same unit scenarios. The host numbers a room's changes
// 1, 2, 3… and sends each as `message:changed`, in order. A change carries its message as it is now, so nothing is
// held back; this only tracks how far the guest is sure to have every change, to ask for the rest after a
// reconnect or a gap.

export class Revisions {
  private readonly lastRev = new Map<string, number>();
  private readonly fetching = new Set<string>();

  last(room: string): number | null {
    return this.lastRev.get(room) ?? null;
  }

  /** A join was answered: without `asked` (a first join) its history is the room as it is now; with it, `changed`
   *  is the first page of what changed after it. Returns where to ask for more. */
  joined(room: string, asked: number | null, changed: { rev?: number }[], latest: number): number | null {
    if (asked === null) {
      this.lastRev.set(room, latest);
      this.fetching.delete(room);
      return null;
    }
    return this.page(room, changed, latest);
  }

  /** Where a conversation stands when first seen (its welcome says how far its changes go); a known one stays. */
  startAt(room: string, latest: number): void {
    if (!this.lastRev.has(room)) this.lastRev.set(room, latest);
  }

  /** A page of changes, in change order, was answered; returns where to ask for the next one. */
  page(room: string, changed: { rev?: number }[], latest: number): number | null {
    // An empty page means nothing changed after what was asked: the guest has everything up to `latest`.
    const reached = changed.length > 0 ? (changed[changed.length - 1].rev ?? 0) : latest;
    this.lastRev.set(room, Math.max(this.lastRev.get(room) ?? 0, reached));
    if (reached < latest) {
      this.fetching.add(room);
      return reached;
    }
    this.fetching.delete(room);
    return null;
  }

  /** A change arrived as it happened; returns where to ask from if changes before it were missed. */
  live(room: string, rev: number): number | null {
    const last = this.lastRev.get(room);
    // Before the room's first join is answered: the answer will bring this change.
    if (last === undefined) return null;
    if (rev === last + 1) {
      this.lastRev.set(room, rev);
      return null;
    }
    if (rev <= last || this.fetching.has(room)) return null;
    this.fetching.add(room);
    return last;
  }

  /** A session ended: what was being fetched is asked for again, from the numbers reached by then. */
  forgetFetches(): void {
    this.fetching.clear();
  }
}
