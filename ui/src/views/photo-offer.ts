// The question asked when large photos are about to be sent: smaller copies for chat, which load at once for
// everyone, or the originals as files. It stays until answered (or dismissed), above the composer.
import type { ChatState } from '../store';
import { el, replace } from '../dom';
import { formatBytes } from '../format';
import { SMALLER_SIDE } from '../photos';

export interface PhotoOfferActions {
  smaller(): Promise<void>;
  originals(): Promise<void>;
  dismiss(): void;
}

export class PhotoOffer {
  readonly root = el('div', { class: 'photo-offer', testid: 'photo-offer', attrs: { role: 'group', hidden: '' } });
  private drawn: unknown = null;

  constructor(
    private readonly actions: PhotoOfferActions,
    private readonly guard: (work: () => Promise<void>) => Promise<void>,
  ) {}

  render(state: ChatState): void {
    const offer = state.photoOffer;
    if (offer === this.drawn) return;
    this.drawn = offer;
    this.root.hidden = offer === null;
    if (!offer) {
      replace(this.root);
      return;
    }
    const bytes = offer.files.reduce((sum, file) => sum + file.size, 0);
    const what =
      offer.files.length === 1
        ? `${offer.files[0].name} is a ${formatBytes(bytes)} photo.`
        : `${offer.files.length} photos, ${formatBytes(bytes)} in all.`;
    const button = (label: string, testid: string, primary: boolean, work: () => Promise<void>) =>
      el(
        'button',
        {
          class: primary ? 'primary' : 'secondary',
          testid,
          attrs: { type: 'button' },
          on: { click: () => void this.guard(work) },
        },
        label,
      );
    replace(
      this.root,
      el('span', { class: 'photo-offer-text', attrs: { dir: 'auto' } }, `${what} Send it smaller for chat, or as is?`),
      button(`Smaller (${SMALLER_SIDE} px)`, 'photo-smaller', true, () => this.actions.smaller()),
      button('Original', 'photo-original', false, () => this.actions.originals()),
      el(
        'button',
        {
          class: 'link-button',
          testid: 'photo-dismiss',
          attrs: { type: 'button', 'aria-label': 'Send nothing' },
          on: { click: () => this.actions.dismiss() },
        },
        '×',
      ),
    );
  }
}
