// The search panel (Ctrl+K or Ctrl+F): words typed search every room and the user's own direct messages on the
// host; each hit shows where it is, who wrote it and its text around what matched, and opens the message in its
// conversation.
import type { SearchHit, SearchRequest, SearchResults } from '../bindings';
import { el, replace } from '../dom';
import { formatTime } from '../format';

/** How long typing may pause before the search runs: one search per word typed, not per key. */
const DEBOUNCE_MS = 250;

export interface SearchActions {
  search(request: SearchRequest): Promise<SearchResults>;
  /** Opens the hit's conversation and shows the message there. */
  pick(hit: SearchHit): void;
}

export class SearchPanel {
  readonly root: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly results = el('ol', { class: 'search-results', testid: 'search-results' });
  private readonly status = el('p', { class: 'search-status', testid: 'search-status', attrs: { role: 'status' } });
  private timer: number | undefined;
  /** Counts searches, so that a slow answer to an older one does not replace a newer one's. */
  private asked = 0;
  private hits: SearchHit[] = [];

  constructor(private readonly actions: SearchActions) {
    this.input = el('input', {
      class: 'search-input',
      testid: 'search-input',
      attrs: { type: 'search', placeholder: 'Search messages', 'aria-label': 'Search messages', maxlength: '200' },
      on: {
        input: () => this.schedule(),
        keydown: (event) => {
          if (event.key === 'Escape') this.close();
          if (event.key === 'Enter') {
            event.preventDefault();
            window.clearTimeout(this.timer);
            void this.run(false);
          }
        },
      },
    });
    const close = el(
      'button',
      {
        class: 'link-button',
        testid: 'search-close',
        attrs: { type: 'button', 'aria-label': 'Close the search' },
        on: { click: () => this.close() },
      },
      'Close',
    );
    this.root = el(
      'div',
      { class: 'search-panel', testid: 'search-panel', attrs: { role: 'search', hidden: '' } },
      el('div', { class: 'search-bar' }, this.input, close),
      this.status,
      this.results,
    );
  }

  get isOpen(): boolean {
    return !this.root.hidden;
  }

  open(): void {
    this.root.hidden = false;
    this.input.focus();
    this.input.select();
  }

  close(): void {
    this.root.hidden = true;
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.run(false), DEBOUNCE_MS);
  }

  /** Runs the search, or with `more` fetches the next page of the one shown. */
  private async run(more: boolean): Promise<void> {
    const q = this.input.value.trim();
    if (!q) {
      this.hits = [];
      this.status.textContent = '';
      replace(this.results);
      return;
    }
    const asked = ++this.asked;
    const before = more ? this.hits[this.hits.length - 1]?.ts : undefined;
    this.status.textContent = 'Searching…';
    try {
      const answer = await this.actions.search({ q, before, limit: 30 });
      if (asked !== this.asked) return;
      this.hits = more ? [...this.hits, ...answer.hits] : answer.hits;
      this.status.textContent = this.hits.length === 0 ? `Nothing found for “${q}”.` : '';
      this.render(answer.more);
    } catch (error) {
      if (asked === this.asked) this.status.textContent = (error as Error).message;
    }
  }

  private render(more: boolean): void {
    replace(
      this.results,
      ...this.hits.map((hit) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              class: 'search-hit',
              testid: 'search-hit',
              attrs: { type: 'button', 'data-seq': String(hit.seq) },
              on: {
                click: () => {
                  this.close();
                  this.actions.pick(hit);
                },
              },
            },
            el(
              'span',
              { class: 'search-where' },
              hit.room ? `# ${hit.room}` : (hit.with ?? ''),
              ' · ',
              hit.from,
              ' · ',
              formatTime(hit.ts),
            ),
            el(
              'span',
              { class: 'search-text', attrs: { dir: 'auto' } },
              ...hit.snippet.map((part) => (part.hit ? el('mark', {}, part.text) : part.text)),
            ),
          ),
        ),
      ),
      more
        ? el(
            'li',
            {},
            el(
              'button',
              {
                class: 'link-button',
                testid: 'search-more',
                attrs: { type: 'button' },
                on: { click: () => void this.run(true) },
              },
              'More results',
            ),
          )
        : null,
    );
  }
}
