import { describe, expect, it, vi } from 'vitest';
import type { MessageItem } from '../store';
import { messageRow, type MessageActions, type RowContext } from './message';

function item(overrides: Partial<MessageItem>): MessageItem {
  return {
    kind: 'message',
    id: 'm1',
    clientId: null,
    from: 'rex',
    text: 'hello',
    ts: 0,
    seq: 1,
    attachment: null,
    file: null,
    pending: false,
    failed: null,
    replyTo: null,
    replies: 0,
    editedAt: null,
    deleted: false,
    reactions: [],
    rev: 0,
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

const context = (overrides: Partial<RowContext> = {}): RowContext => ({
  me: 'Mira',
  canAct: true,
  owner: false,
  picking: null,
  confirming: null,
  names: ['Ann Host', 'Mira', 'rex', 'Ann'],
  ...overrides,
});

describe('a message row', () => {
  it('shows hostile text as text: no markup, and direction controls shown as their codes, not applied', () => {
    const row = messageRow(
      context(),
      item({ text: 'a\u202Eevil\u202C <img src=x onerror=alert(1)> javascript:alert(1)' }),
      false,
      actions(),
    );
    const text = row.querySelector('.message-text') as HTMLElement;
    expect(text.getAttribute('dir')).toBe('auto');
    expect(row.querySelector('img')).toBeNull();
    expect(row.querySelector('a')).toBeNull();
    expect(text.textContent).toBe('a⟨U+202E⟩evil⟨U+202C⟩ <img src=x onerror=alert(1)> javascript:alert(1)');
    expect(text.textContent).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });

  it("offers edit only on ones own messages and delete to the author or the host's owner", () => {
    const testids = (row: HTMLElement) =>
      [...row.querySelectorAll('.message-actions button')].map((button) => (button as HTMLElement).dataset.testid);
    expect(testids(messageRow(context(), item({}), false, actions()))).toEqual(['action-reply', 'action-react']);
    expect(testids(messageRow(context(), item({ from: 'mira' }), false, actions()))).toEqual([
      'action-reply',
      'action-react',
      'action-edit',
      'action-delete',
    ]);
    expect(testids(messageRow(context({ owner: true }), item({}), false, actions()))).toEqual([
      'action-reply',
      'action-react',
      'action-delete',
    ]);
    // A tombstone, a message on its way, and a direct message take no actions.
    expect(
      messageRow(context(), item({ deleted: true, text: '' }), false, actions()).querySelector('.message-actions'),
    ).toBeNull();
    expect(
      messageRow(context(), item({ pending: true, seq: 0 }), false, actions()).querySelector('.message-actions'),
    ).toBeNull();
    expect(
      messageRow(context({ canAct: false }), item({}), false, actions()).querySelector('.message-actions'),
    ).toBeNull();
  });

  it('toggles a reaction and names who reacted; the quote jumps to its message', () => {
    const acts = actions();
    const row = messageRow(
      context(),
      item({
        seq: 5,
        reactions: [{ emoji: '🎉', users: ['rex', 'Mira'] }],
        replyTo: { seq: 2, from: 'ann', snippet: 'lunch?' },
      }),
      false,
      acts,
    );
    const reaction = row.querySelector('[data-testid=reaction]') as HTMLButtonElement;
    expect(reaction.textContent).toBe('🎉 2');
    expect(reaction.title).toBe('rex, Mira');
    expect(reaction.getAttribute('aria-pressed')).toBe('true');
    reaction.click();
    expect(acts.react).toHaveBeenCalledWith(expect.objectContaining({ seq: 5 }), '🎉', false);
    (row.querySelector('[data-testid=quote]') as HTMLButtonElement).click();
    expect(acts.jumpTo).toHaveBeenCalledWith(2);
  });

  it('draws the markup with elements and opens links outside, only http and https', () => {
    const acts = actions();
    const row = messageRow(
      context(),
      item({ text: '**ship it** see https://example.org/x and javascript:alert(1)\n```\n<b>code</b>\n```' }),
      false,
      acts,
    );
    expect(row.querySelector('strong')?.textContent).toBe('ship it');
    expect(row.querySelector('pre code')?.textContent).toBe('<b>code</b>');
    expect(row.querySelector('b')).toBeNull();
    const links = [...row.querySelectorAll('a')];
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['https://example.org/x']);
    expect(links[0].getAttribute('rel')).toBe('noopener noreferrer');
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    links[0].dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(acts.openLink).toHaveBeenCalledWith('https://example.org/x');
  });

  it("marks mentions of known people, the user's own standing out", () => {
    const row = messageRow(
      context(),
      item({ text: 'thanks @ann host and @MIRA, not @nobody or mail@rex.org' }),
      false,
      actions(),
    );
    const marked = [...row.querySelectorAll('[data-testid=mention]')].map((mention) => [
      mention.textContent,
      mention.classList.contains('me'),
    ]);
    expect(marked).toEqual([
      ['@ann host', false],
      ['@MIRA', true],
    ]);
    expect(row.classList.contains('mentions-me')).toBe(true);
    expect(messageRow(context(), item({ text: 'hi @rex' }), false, actions()).classList.contains('mentions-me')).toBe(
      false,
    );
  });

  it('shows a shared image, plays a video, and gives any other file a card that saves it', () => {
    const file = (name: string, mime = 'application/octet-stream') => ({
      id: 'f1',
      name,
      size: 2_411_724,
      mime,
      sha256: 'ab',
    });
    const run = actions();
    const photo = messageRow(context(), item({ text: '', file: file('beach.jpg', 'image/jpeg') }), false, run);
    expect(photo.querySelector<HTMLImageElement>('[data-testid=file-preview]')?.src).toBe('banter-file://localhost/f1');
    const clip = messageRow(context(), item({ text: '', file: file('clip.webm') }), false, run);
    expect(clip.querySelector('video[data-testid=file-player]')).not.toBeNull();
    const hostile = '<img src=x onerror=alert(1)>.pdf';
    const paper = messageRow(context(), item({ text: 'the paper', file: file(hostile) }), false, run);
    expect(paper.querySelector('[data-testid=file-preview]')).toBeNull();
    expect(paper.querySelector('[data-testid=file-name]')?.textContent).toBe(hostile);
    expect(paper.querySelector('img')).toBeNull();
    expect(paper.querySelector('[data-testid=file-meta]')?.textContent).toBe('2.3 MiB · PDF');
    paper.querySelector<HTMLButtonElement>('[data-testid=file-save]')?.click();
    expect(run.saveFile).toHaveBeenCalledWith(file(hostile));
    // An HTML page is a file to save, never something this page renders.
    const page = messageRow(context(), item({ text: '', file: file('page.html', 'text/html') }), false, run);
    expect(page.querySelector('[data-testid=file-preview], iframe, [data-testid=file-player]')).toBeNull();
  });
});
