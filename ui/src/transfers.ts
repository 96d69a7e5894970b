// Transfers as the UI shows them: the latest state of each upload and download, with a speed smoothed over the
// reports so far and the time left at that speed. Fed by `transfer` events (from Rust in the app, from
// transfers-web.ts in a browser).
import type { TransferView } from './bindings';

/** How much a new speed sample counts against the ones before it. */
const SMOOTHING = 0.3;
/** How long a finished upload stays in the list, to be seen to have finished. */
export const DONE_SHOWN_MS = 4000;

export interface TransferItem {
  view: TransferView;
  /** Bytes a second, smoothed; null until two reports are apart in time. */
  rate: number | null;
  /** When and at how many bytes the last report came. */
  at: number;
  atBytes: number;
  /** When it ended (done, failed or cancelled), for the list to let go of it. */
  endedAt: number | null;
}

export function trackTransfer(transfers: Map<string, TransferItem>, view: TransferView, now: number): void {
  const known = transfers.get(view.id);
  const running = view.state === 'running';
  if (!known || view.done < known.atBytes) {
    // New, or started again from where the host had it.
    transfers.set(view.id, { view, rate: null, at: now, atBytes: view.done, endedAt: running ? null : now });
    return;
  }
  const elapsed = (now - known.at) / 1000;
  if (running && elapsed > 0.05) {
    const sample = (view.done - known.atBytes) / elapsed;
    known.rate = known.rate === null ? sample : known.rate + SMOOTHING * (sample - known.rate);
    known.at = now;
    known.atBytes = view.done;
  }
  known.view = view;
  known.endedAt = running ? null : (known.endedAt ?? now);
}

/** The transfers to list now: every one under way or that failed, finished downloads (to open), recent uploads. */
export function shownTransfers(transfers: Map<string, TransferItem>, now: number): TransferItem[] {
  for (const [id, item] of transfers) {
    const settled = item.view.state === 'done' || item.view.state === 'cancelled';
    if (settled && item.view.direction === 'upload' && item.endedAt !== null && now - item.endedAt > DONE_SHOWN_MS) {
      transfers.delete(id);
    }
  }
  return [...transfers.values()];
}

/** Seconds left at the current speed, or null when there is no speed yet. */
export function secondsLeft(item: TransferItem): number | null {
  if (item.rate === null || item.rate <= 0) return null;
  return Math.max(0, (item.view.total - item.view.done) / item.rate);
}
