// One message of a conversation as a row: who and when, the message it answers, its text (or its tombstone), its
// image or shared file, its reactions and count of replies, and the actions on it (reply, react, edit, delete).
import type { MessageItem } from '../store';
import { el } from '../dom';
import { onLongPress } from './long-press';
import { blocks, mentions, type Block, type Inline, type Mentionable } from '../markup';
import { formatTime, hueFor, initials } from '../format';
import { fileCard, type FileActions } from './file-card';

/** Where an attachment's bytes are. */
export type AttachmentView =
  { state: 'ready'; url: string } | { state: 'loading' } | { state: 'unavailable'; reason: string };

/** The reactions offered at one click; any other emoji can be typed. */
export const FREQUENT_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

export interface MessageActions extends FileActions {
  /** Answers the message: the composer quotes it. */
  reply(item: MessageItem): void;
  /** Edits one of the user's messages in the composer. */
  edit(item: MessageItem): void;
  /** Opens or closes the reaction picker (`null`: closes it), or the confirmation of a deletion. */
  pick(seq: number | null): void;
  confirmDelete(seq: number | null): void;
  remove(item: MessageItem): Promise<void>;
  react(item: MessageItem, emoji: string, on: boolean): Promise<void>;
  /** Scrolls to a message of the open conversation, fetching older pages until it is there. */
  jumpTo(seq: number): void;
  /** Opens a link outside the app (the system browser; a new tab for a browser guest), never in this page. */
  openLink(url: string): void;
  attachment(id: string): AttachmentView;
}

/** What the row needs to know beyond the message. */
export interface RowContext {
  me: string;
  /** Replies, edits, deletions and reactions can be asked for here (a Banter host, a room or a conversation
   *  the host has numbered). */
  canAct: boolean;
  /** The user is the host's owner, who may delete anyone's message. */
  owner: boolean;
  picking: number | null;
  confirming: number | null;
  /** Who a message may mention: the room's members and everyone online. */
  names: Mentionable;
}

export function avatar(name: string): HTMLElement {
  const element = el('span', { class: 'avatar', attrs: { 'aria-hidden': 'true' } }, initials(name));
  element.style.background = `hsl(${hueFor(name)} 60% 45%)`;
  return element;
}

/** Explicit direction controls (embeddings, overrides, isolates and their ends): invisible, they could make text
 *  read other than it is ("a\u202Eevil" shows as "alive"). Each is shown as its code instead, and does nothing. */
const DIRECTION_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/** A message's text as nodes, with every direction control shown as its code. */
export function textNodes(text: string): (string | HTMLElement)[] {
  const nodes: (string | HTMLElement)[] = [];
  let rest = text;
  for (let found = DIRECTION_CONTROLS.exec(rest); found; found = DIRECTION_CONTROLS.exec(rest)) {
    if (found.index > 0) nodes.push(rest.slice(0, found.index));
    const code = `U+${found[0].codePointAt(0)?.toString(16).toUpperCase() ?? ''}`;
    nodes.push(
      el(
        'span',
        { class: 'control-char', attrs: { title: `A hidden direction control (${code}), shown instead of applied` } },
        `⟨${code}⟩`,
      ),
    );
    rest = rest.slice(found.index + found[0].length);
  }
  if (rest) nodes.push(rest);
  return nodes;
}

function inlineNodes(inlines: Inline[], context: RowContext, actions: MessageActions): (string | HTMLElement)[] {
  return inlines.flatMap((inline): (string | HTMLElement)[] => {
    switch (inline.kind) {
      case 'text':
        return textNodes(inline.text);
      case 'code':
        return [el('code', { class: 'inline-code' }, ...textNodes(inline.text))];
      case 'strong':
        return [el('strong', {}, ...inlineNodes(inline.children, context, actions))];
      case 'em':
        return [el('em', {}, ...inlineNodes(inline.children, context, actions))];
      case 'mention': {
        const me = inline.name.toLowerCase() === context.me.toLowerCase();
        return [el('span', { class: me ? 'mention me' : 'mention', testid: 'mention' }, `@${inline.name}`)];
      }
      case 'link':
        return [
          el(
            'a',
            {
              class: 'link',
              testid: 'link',
              attrs: { href: inline.url, target: '_blank', rel: 'noopener noreferrer' },
              on: {
                click: (event) => {
                  event.preventDefault();
                  actions.openLink(inline.url);
                },
              },
            },
            ...textNodes(inline.url),
          ),
        ];
    }
  });
}

function blockElement(block: Block, context: RowContext, actions: MessageActions): HTMLElement {
  switch (block.kind) {
    case 'paragraph':
      return el('p', { class: 'paragraph' }, ...inlineNodes(block.inlines, context, actions));
    case 'code':
      return el('pre', { class: 'code-block' }, el('code', {}, ...textNodes(block.text)));
    case 'quote':
      return el('blockquote', { class: 'text-quote' }, ...inlineNodes(block.inlines, context, actions));
  }
}

/** A message's text, its Markdown subset drawn with elements (never parsed as HTML), and "(edited)" after it. */
function messageText(item: MessageItem, context: RowContext, actions: MessageActions): HTMLElement {
  const parts = blocks(item.text, context.names).map((block) => blockElement(block, context, actions));
  if (item.editedAt !== null) {
    const edited = el(
      'span',
      { class: 'edited', testid: 'edited', attrs: { title: `Edited ${formatTime(item.editedAt)}` } },
      ' (edited)',
    );
    const last = parts[parts.length - 1];
    if (last?.tagName === 'P') last.append(edited);
    else parts.push(el('p', { class: 'paragraph' }, edited));
  }
  // `dir="auto"` takes each message's direction from its own first strong character, and CSS isolates it, so
  // that right-to-left text reads right and no message's text reaches past its own end.
  return el('div', { class: 'message-text', attrs: { dir: 'auto' } }, ...parts);
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? `1 ${one}` : `${count} ${many}`;
}

export function messageRow(
  context: RowContext,
  item: MessageItem,
  grouped: boolean,
  actions: MessageActions,
): HTMLElement {
  const mine = item.from.toLowerCase() === context.me.toLowerCase();
  // Someone else's message that names the user stands out, as other chats do.
  const forMe = !mine && !item.deleted && mentions(item.text, context.me);
  const classes = [
    'message',
    grouped ? 'grouped' : '',
    mine ? 'mine' : '',
    forMe ? 'mentions-me' : '',
    item.pending ? 'pending' : '',
    item.failed ? 'failed' : '',
    item.deleted ? 'deleted' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const body = el('div', { class: 'message-body' });
  if (!grouped) {
    const author = el('span', { class: 'author' }, item.from);
    author.style.color = `hsl(${hueFor(item.from)} 55% var(--author-lightness))`;
    body.append(
      el(
        'div',
        { class: 'message-meta' },
        author,
        el('time', { attrs: { datetime: new Date(item.ts).toISOString() } }, formatTime(item.ts)),
      ),
    );
  }
  if (item.replyTo) {
    const quote = item.replyTo;
    body.append(
      el(
        'button',
        {
          class: 'quote',
          testid: 'quote',
          attrs: { type: 'button', title: 'Show the message this answers' },
          on: { click: () => actions.jumpTo(quote.seq) },
        },
        el('span', { class: 'quote-author' }, quote.from),
        el(
          'span',
          { class: 'quote-text', attrs: { dir: 'auto' } },
          ...(quote.deleted ? ['message deleted'] : textNodes(quote.snippet)),
        ),
      ),
    );
  }
  if (item.deleted) {
    body.append(el('p', { class: 'message-text tombstone', testid: 'tombstone' }, 'message deleted'));
  } else if (item.text) {
    body.append(messageText(item, context, actions));
  }
  if (item.attachment && !item.deleted) {
    const view = actions.attachment(item.attachment.id);
    body.append(
      view.state === 'ready'
        ? el('img', { class: 'attachment', attrs: { src: view.url, alt: `Image from ${item.from}`, loading: 'lazy' } })
        : el(
            'div',
            { class: 'attachment placeholder', testid: 'attachment-placeholder' },
            view.state === 'loading' ? 'Loading image…' : view.reason,
          ),
    );
  }
  if (item.file && !item.deleted) body.append(fileCard(item.file, item.from, actions));
  if (item.reactions.length > 0) {
    body.append(
      el(
        'div',
        { class: 'reactions', testid: 'reactions' },
        ...item.reactions.map((reaction) => {
          const reacted = reaction.users.some((user) => user.toLowerCase() === context.me.toLowerCase());
          const button = el(
            'button',
            {
              class: reacted ? 'reaction mine' : 'reaction',
              testid: 'reaction',
              attrs: {
                type: 'button',
                'aria-pressed': String(reacted),
                title: reaction.users.join(', '),
                // The visible text first, as screen readers and voice control expect ("👍 2, from Ann, Bert").
                'aria-label': `${reaction.emoji} ${reaction.users.length}, from ${reaction.users.join(', ')}`,
                'data-emoji': reaction.emoji,
              },
              on: { click: () => void actions.react(item, reaction.emoji, !reacted) },
            },
            `${reaction.emoji} ${reaction.users.length}`,
          );
          onLongPress(button, () => showReactors(button, `${reaction.emoji} ${reaction.users.join(', ')}`));
          return button;
        }),
      ),
    );
  }
  if (item.replies > 0)
    body.append(el('span', { class: 'reply-count', testid: 'reply-count' }, plural(item.replies, 'reply', 'replies')));
  if (item.pending)
    body.append(
      item.waiting
        ? el('span', { class: 'state-note waiting', testid: 'waiting' }, `Waiting: ${item.waiting}`)
        : el('span', { class: 'state-note' }, 'Sending…'),
    );
  if (item.failed) body.append(el('span', { class: 'state-note error' }, `Not sent: ${item.failed}`));
  if (context.picking === item.seq) body.append(picker(item, actions));
  if (context.confirming === item.seq) body.append(deleteConfirmation(item, mine, actions));
  const acts =
    context.canAct && item.seq > 0 && !item.deleted && !item.pending
      ? messageActions(context, item, mine, actions)
      : null;
  return el(
    'li',
    { class: classes, testid: 'message', attrs: { 'data-from': item.from, 'data-seq': String(item.seq) } },
    grouped ? el('span', { class: 'avatar-space' }) : avatar(item.from),
    body,
    acts,
  );
}

function messageActions(context: RowContext, item: MessageItem, mine: boolean, actions: MessageActions): HTMLElement {
  const button = (label: string, testid: string, title: string, click: () => void) =>
    el(
      'button',
      { class: 'message-action', testid, attrs: { type: 'button', title, 'aria-label': title }, on: { click } },
      label,
    );
  return el(
    'div',
    { class: 'message-actions', attrs: { role: 'toolbar', 'aria-label': `Actions on ${item.from}'s message` } },
    button('↩', 'action-reply', 'Reply', () => actions.reply(item)),
    button('☺', 'action-react', 'React', () => actions.pick(context.picking === item.seq ? null : item.seq)),
    mine ? button('✎', 'action-edit', 'Edit', () => actions.edit(item)) : null,
    mine || context.owner ? button('🗑', 'action-delete', 'Delete', () => actions.confirmDelete(item.seq)) : null,
  );
}

function picker(item: MessageItem, actions: MessageActions): HTMLElement {
  const other = el('input', {
    class: 'emoji-input',
    testid: 'emoji-input',
    attrs: { placeholder: 'Other emoji', 'aria-label': 'Other emoji', maxlength: '16' },
  });
  const form = el(
    'form',
    {
      class: 'emoji-picker',
      testid: 'emoji-picker',
      on: {
        submit: (event) => {
          event.preventDefault();
          if (other.value.trim()) void actions.react(item, other.value.trim(), true);
        },
      },
    },
    ...FREQUENT_EMOJI.map((emoji) =>
      el(
        'button',
        {
          class: 'emoji',
          testid: 'emoji',
          attrs: { type: 'button', 'data-emoji': emoji, 'aria-label': `React with ${emoji}` },
          on: { click: () => void actions.react(item, emoji, true) },
        },
        emoji,
      ),
    ),
    other,
    el('button', { class: 'link-button', attrs: { type: 'submit' } }, 'Add'),
  );
  return form;
}

function deleteConfirmation(item: MessageItem, mine: boolean, actions: MessageActions): HTMLElement {
  const whose = mine ? 'your message' : `${item.from}'s message`;
  return el(
    'div',
    {
      class: 'confirm',
      testid: 'delete-message-confirm',
      attrs: { role: 'alertdialog', 'aria-label': `Delete ${whose}?` },
    },
    el('span', {}, `Delete ${whose}? Everyone will see that it was deleted.`),
    el(
      'button',
      {
        class: 'danger',
        testid: 'delete-message-yes',
        attrs: { type: 'button' },
        on: { click: () => void actions.remove(item) },
      },
      'Delete',
    ),
    el(
      'button',
      { class: 'link-button', attrs: { type: 'button' }, on: { click: () => actions.confirmDelete(null) } },
      'Cancel',
    ),
  );
}

/** How long the names shown by a long press stay. */
const REACTORS_MS = 4000;

/** Shows who reacted under a reaction, for a finger (a pointer sees the same on hover). */
function showReactors(button: HTMLElement, text: string): void {
  button.parentElement?.querySelector('[data-testid=reactors]')?.remove();
  const shown = el('div', { class: 'reactors', testid: 'reactors', attrs: { role: 'status' } }, text);
  button.after(shown);
  window.setTimeout(() => shown.remove(), REACTORS_MS);
}
