import { describe, expect, it } from 'vitest';
import type { TransferView } from './bindings';
import { DONE_SHOWN_MS, secondsLeft, shownTransfers, trackTransfer, type TransferItem } from './transfers';
import { transferLine } from './views/transfers';

const view = (overrides: Partial<TransferView>): TransferView => ({
  id: 't1',
  direction: 'upload',
  name: 'video.mp4',
  done: 0,
  total: 100 * 1024 * 1024,
  state: 'running',
  error: null,
  to: { kind: 'room', room: 'lobby' },
  fileId: null,
  savedTo: null,
  ...overrides,
});

describe('transfers', () => {
  it('measures the speed from the reports and says the time left at it', () => {
    const transfers = new Map<string, TransferItem>();
    trackTransfer(transfers, view({ done: 0 }), 0);
    trackTransfer(transfers, view({ done: 10 * 1024 * 1024 }), 1000);
    const item = transfers.get('t1')!;
    expect(item.rate).toBe(10 * 1024 * 1024);
    expect(secondsLeft(item)).toBe(9);
    expect(transferLine(item)).toBe('10.0 MiB of 100.0 MiB · 10.0 MiB/s · 9 s left');
  });

  it('starts the speed again when a retry goes back, and keeps failures until dismissed', () => {
    const transfers = new Map<string, TransferItem>();
    trackTransfer(transfers, view({ done: 50 }), 0);
    trackTransfer(
      transfers,
      view({ done: 50, state: 'failed', error: 'video.mp4 was not sent: the disk is full' }),
      10,
    );
    trackTransfer(transfers, view({ done: 0 }), 20);
    expect(transfers.get('t1')!.rate).toBeNull();
    trackTransfer(transfers, view({ state: 'failed', error: 'video.mp4 was not sent: the disk is full' }), 30);
    expect(shownTransfers(transfers, 30 + DONE_SHOWN_MS * 10)).toHaveLength(1);
    expect(transferLine(transfers.get('t1')!)).toBe('video.mp4 was not sent: the disk is full');
  });

  it('lets a finished upload go after a moment, and keeps a saved download to open', () => {
    const transfers = new Map<string, TransferItem>();
    trackTransfer(transfers, view({ state: 'done', done: 100 }), 0);
    trackTransfer(transfers, view({ id: 't2', direction: 'download', state: 'done', savedTo: '/home/a/x.pdf' }), 0);
    expect(shownTransfers(transfers, DONE_SHOWN_MS - 1)).toHaveLength(2);
    const later = shownTransfers(transfers, DONE_SHOWN_MS + 1);
    expect(later.map((item) => item.view.id)).toEqual(['t2']);
    expect(transferLine(later[0])).toBe('Saved · 100.0 MiB · /home/a/x.pdf');
  });
});
