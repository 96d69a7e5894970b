// The transfers under way, above the composer: each with a bar, how much of how much at what speed, the time left,
// and Cancel while it runs or Retry once it stopped; a saved download offers Show in folder.
import { el, replace } from '../dom';
import { formatBytes, formatDuration } from '../format';
import { secondsLeft, shownTransfers, type TransferItem } from '../transfers';

export interface TransferActions {
  cancel(id: string): Promise<void>;
  retry(id: string): Promise<void>;
  dismiss(id: string): void;
  /** Absent where downloads are the browser's own. */
  showInFolder: ((id: string) => Promise<void>) | null;
}

/** "12.0 MiB of 2.0 GiB · 45.0 MiB/s · 40 s left", or what became of the transfer. */
export function transferLine(item: TransferItem): string {
  const { view } = item;
  switch (view.state) {
    case 'done':
      return view.direction === 'upload'
        ? `Sent · ${formatBytes(view.total)}`
        : `Saved · ${formatBytes(view.total)}${view.savedTo ? ` · ${view.savedTo}` : ''}`;
    case 'cancelled':
      return `Cancelled at ${formatBytes(view.done)} of ${formatBytes(view.total)}`;
    case 'failed':
      return view.error ?? 'Failed';
    case 'running': {
      const parts = [`${formatBytes(view.done)} of ${formatBytes(view.total)}`];
      if (item.rate !== null) parts.push(`${formatBytes(Math.round(item.rate))}/s`);
      const left = secondsLeft(item);
      if (left !== null) parts.push(`${formatDuration(left)} left`);
      return parts.join(' · ');
    }
  }
}

interface Row {
  node: HTMLElement;
  bar: HTMLProgressElement;
  line: HTMLElement;
  buttons: HTMLElement;
  /** The state the buttons were drawn for: rows are updated in place, so that a click never lands on a row that
   *  was just replaced (progress comes several times a second). */
  state: string;
}

export class TransferList {
  readonly root = el('ul', {
    class: 'transfers',
    testid: 'transfers',
    attrs: { 'aria-label': 'Transfers', hidden: '' },
  });
  private readonly rows = new Map<string, Row>();

  constructor(private readonly actions: TransferActions) {}

  render(transfers: Map<string, TransferItem>, now: number): void {
    const items = shownTransfers(transfers, now);
    const shown = new Set(items.map((item) => item.view.id));
    for (const [id, row] of this.rows) {
      if (!shown.has(id)) {
        row.node.remove();
        this.rows.delete(id);
      }
    }
    for (const item of items) {
      const row = this.rows.get(item.view.id) ?? this.row(item);
      this.update(row, item);
      if (row.node.parentNode !== this.root) this.root.append(row.node);
    }
    this.root.hidden = items.length === 0;
  }

  private button(label: string, testid: string, click: () => unknown): HTMLElement {
    return el('button', { class: 'link-button', testid, attrs: { type: 'button' }, on: { click } }, label);
  }

  private row(item: TransferItem): Row {
    const { view } = item;
    const bar = el('progress', { class: 'transfer-bar', attrs: { 'aria-label': `${view.name} progress` } });
    const line = el('span', { class: 'transfer-line', testid: 'transfer-line', attrs: { role: 'status' } });
    const buttons = el('div', { class: 'transfer-actions' });
    const node = el(
      'li',
      { class: 'transfer', testid: 'transfer' },
      el(
        'span',
        { class: 'transfer-direction', attrs: { 'aria-hidden': 'true' } },
        view.direction === 'upload' ? '↑' : '↓',
      ),
      el(
        'div',
        { class: 'transfer-body' },
        el('span', { class: 'transfer-name', attrs: { dir: 'auto', title: view.name } }, view.name),
        bar,
        line,
      ),
      buttons,
    );
    const row = { node, bar, line, buttons, state: '' };
    this.rows.set(view.id, row);
    return row;
  }

  private update(row: Row, item: TransferItem): void {
    const { view } = item;
    row.bar.max = Math.max(view.total, 1);
    row.bar.value = view.done;
    row.line.textContent = transferLine(item);
    if (row.state === view.state) return;
    row.state = view.state;
    row.node.className = `transfer ${view.state}`;
    row.node.dataset.state = view.state;
    const running = view.state === 'running';
    const buttons: HTMLElement[] = [];
    if (running) buttons.push(this.button('Cancel', 'transfer-cancel', () => this.actions.cancel(view.id)));
    if (view.state === 'failed' || view.state === 'cancelled') {
      buttons.push(this.button('Retry', 'transfer-retry', () => this.actions.retry(view.id)));
    }
    const showInFolder = this.actions.showInFolder;
    if (view.state === 'done' && view.direction === 'download' && showInFolder) {
      buttons.push(this.button('Show in folder', 'transfer-show', () => showInFolder(view.id)));
    }
    if (!running) buttons.push(this.button('×', 'transfer-dismiss', () => this.actions.dismiss(view.id)));
    replace(row.buttons, ...buttons);
  }
}
