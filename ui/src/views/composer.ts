// The composer: the box a message is written in, with what goes with it: the count of characters left near the
// host's limit, the names offered after an `@`, the bar that says a reply or an edit is being written, the typing
// notices it sends, and Send. It is built once, so what the user is typing survives every render (reconnects
// included).
import type { ChatState, Conversation, MessageItem } from '../store';
import { LOBBY, lastOwnMessage, messageAt } from '../store';
import { el, replace } from '../dom';

const TYPING_IDLE_MS = 3000;
const TYPING_REFRESH_MS = 3000;

export interface ComposerActions {
  send(text: string): Promise<void>;
  reply(seq: number, text: string): Promise<void>;
  edit(seq: number, text: string): Promise<void>;
  /** Opens the file picker and sends what is chosen here. */
  attach(): Promise<void>;
  /** Sends files pasted into the box (a screenshot, say). */
  paste(files: File[]): Promise<void>;
  typing(active: boolean): void;
  /** Shows (or with '' clears) why something the user did failed. */
  showError(message: string): void;
  rerender(): void;
}

/** What the composer reads of the chat: the state, and the conversation open. */
export type ComposerView = () => { state: ChatState | null; current: Conversation | undefined };

export class Composer {
  /** The bar with the box and its buttons; the other parts go above it. */
  readonly bar: HTMLElement;
  readonly mentionList = el('ul', {
    class: 'mention-list',
    testid: 'mention-list',
    attrs: { hidden: '', role: 'listbox', 'aria-label': 'People to mention' },
  });
  readonly composerContext = el('div', {
    class: 'composer-context',
    testid: 'composer-context',
    attrs: { hidden: '' },
  });
  private readonly composer: HTMLTextAreaElement;
  /** Characters left, shown near the host's limit. */
  private readonly counter = el('span', {
    class: 'composer-counter',
    testid: 'composer-counter',
    attrs: { 'aria-live': 'polite' },
  });
  private maxChars = 4000;
  private typingTimer: number | undefined;
  private typingRefresh: number | undefined;
  private typingActive = false;
  /** What is being written besides a new message: an answer to a message, or an edit of one of the user's. */
  private composing: { mode: 'reply' | 'edit'; key: string; item: MessageItem } | null = null;
  /** Names offered while the user types `@` and the start of one, and which is selected. */
  private mentionChoices: string[] = [];
  private mentionSelected = 0;

  constructor(
    private readonly actions: ComposerActions,
    private readonly view: ComposerView,
  ) {
    this.composer = el('textarea', {
      class: 'composer-input',
      testid: 'composer',
      attrs: { rows: '1', placeholder: 'Message', 'aria-label': 'Message' },
      on: {
        keydown: (event) => this.onComposerKey(event),
        input: () => this.onComposerInput(),
        paste: (event) => this.onPaste(event),
      },
    });
    const attach = el(
      'button',
      {
        class: 'icon-button',
        testid: 'attach',
        attrs: { type: 'button', title: 'Send files (or drop them here, or paste)', 'aria-label': 'Send files' },
        on: { click: () => void this.run(() => this.actions.attach()) },
      },
      '+',
    );
    const send = el(
      'button',
      { class: 'primary send', testid: 'send', attrs: { type: 'button' }, on: { click: () => void this.submit() } },
      'Send',
    );
    this.bar = el('div', { class: 'composer' }, attach, this.composer, this.counter, send);
  }

  private async run(work: () => Promise<void>): Promise<void> {
    this.actions.showError('');
    await work().catch((error: Error) => this.actions.showError(error.message));
  }

  /** Files on the clipboard (a screenshot, files copied in a file manager) are sent; text is pasted as text. */
  private onPaste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    void this.run(() => this.actions.paste(files));
  }

  focus(): void {
    this.composer.focus();
  }

  /** Follows the open conversation: its name in the placeholder, whether it can be written to, the host's limit. */
  render(state: ChatState, current: Conversation): void {
    const canSend = current.kind === 'room' ? state.rich || current.name === LOBBY : state.rich;
    this.composer.placeholder = current.kind === 'room' ? `Message #${current.name}` : `Message ${current.name}`;
    this.composer.disabled = !canSend;
    this.maxChars = state.limits.maxMessageChars;
    this.renderCounter();
    this.renderContext(current);
  }

  /** Characters, as the host counts them (code points), against its limit; shown from 90% of it. */
  private composerLength(): number {
    return Array.from(this.composer.value).length;
  }

  private renderCounter(): void {
    const length = this.composerLength();
    const shown = length >= this.maxChars * 0.9;
    this.counter.hidden = !shown;
    this.counter.textContent = shown ? `${(this.maxChars - length).toLocaleString('en-US')}` : '';
    this.counter.title = `${length.toLocaleString('en-US')} of ${this.maxChars.toLocaleString('en-US')} characters`;
    this.counter.classList.toggle('over', length > this.maxChars);
  }

  /** Answers or edits `item` in the composer. */
  start(mode: 'reply' | 'edit', item: MessageItem): void {
    const key = this.view().current?.key ?? '';
    this.composing = { mode, key, item };
    if (mode === 'edit') {
      this.composer.value = item.text;
      this.onComposerResize();
    }
    this.actions.rerender();
    this.composer.focus();
  }

  private stopComposing(): void {
    if (this.composing?.mode === 'edit') {
      this.composer.value = '';
      this.onComposerResize();
    }
    this.composing = null;
    this.actions.rerender();
  }

  private renderContext(current: Conversation): void {
    // Answering or editing belongs to the conversation it started in.
    if (this.composing && this.composing.key !== current.key) this.composing = null;
    const composing = this.composing;
    this.composerContext.hidden = composing === null;
    if (!composing) {
      replace(this.composerContext);
      return;
    }
    const shown = messageAt(current, composing.item.seq) ?? composing.item;
    const what =
      composing.mode === 'reply'
        ? el(
            'span',
            {},
            'Replying to ',
            el('strong', {}, shown.from),
            ': ',
            el('span', { class: 'quote-text', attrs: { dir: 'auto' } }, shown.deleted ? 'message deleted' : shown.text),
          )
        : el('span', {}, 'Editing your message · Enter saves, Esc cancels');
    replace(
      this.composerContext,
      what,
      el(
        'button',
        {
          class: 'link-button',
          testid: 'composer-context-cancel',
          attrs: { type: 'button', 'aria-label': composing.mode === 'reply' ? 'Cancel the reply' : 'Cancel the edit' },
          on: { click: () => this.stopComposing() },
        },
        '×',
      ),
    );
  }

  /** The `@name` being typed just before the caret, if any. */
  private mentionBeingTyped(): { start: number; partial: string } | null {
    const before = this.composer.value.slice(0, this.composer.selectionStart ?? this.composer.value.length);
    const match = /(^|\s)@([^\s@]{0,32})$/u.exec(before);
    if (!match) return null;
    return { start: before.length - match[2].length - 1, partial: match[2] };
  }

  /** Offers the room's members and the people online whose names start with what follows the `@`. */
  private renderMentions(): void {
    const typed = this.mentionBeingTyped();
    const { state, current } = this.view();
    if (!typed || !state || !current || current.kind !== 'room') {
      this.mentionChoices = [];
    } else {
      const names = new Set([...current.members, ...state.users.map((user) => user.name)]);
      const partial = typed.partial.toLowerCase();
      this.mentionChoices = [...names]
        .filter((name) => name.toLowerCase() !== state.me.toLowerCase() && name.toLowerCase().startsWith(partial))
        .sort((a, b) => a.localeCompare(b))
        .slice(0, 6);
    }
    this.mentionSelected = Math.min(this.mentionSelected, Math.max(this.mentionChoices.length - 1, 0));
    this.mentionList.hidden = this.mentionChoices.length === 0;
    replace(
      this.mentionList,
      ...this.mentionChoices.map((name, index) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              class: index === this.mentionSelected ? 'mention-option selected' : 'mention-option',
              testid: 'mention-option',
              attrs: { type: 'button', role: 'option', 'aria-selected': String(index === this.mentionSelected) },
              on: { click: () => this.pickMention(name) },
            },
            `@${name}`,
          ),
        ),
      ),
    );
  }

  private pickMention(name: string): void {
    const typed = this.mentionBeingTyped();
    if (!typed) return;
    const caret = this.composer.selectionStart ?? this.composer.value.length;
    const value = this.composer.value;
    this.composer.value = `${value.slice(0, typed.start)}@${name} ${value.slice(caret)}`;
    const at = typed.start + name.length + 2;
    this.composer.setSelectionRange(at, at);
    this.mentionSelected = 0;
    this.renderMentions();
    this.renderCounter();
    this.composer.focus();
  }

  private onComposerKey(event: KeyboardEvent): void {
    if (this.mentionChoices.length > 0 && !event.isComposing) {
      // While names are offered, Tab and Enter take the selected one and the arrows choose.
      if (event.key === 'Tab' || event.key === 'Enter') {
        event.preventDefault();
        this.pickMention(this.mentionChoices[this.mentionSelected]);
        return;
      }
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : this.mentionChoices.length - 1;
        this.mentionSelected = (this.mentionSelected + step) % this.mentionChoices.length;
        this.renderMentions();
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        this.mentionChoices = [];
        this.mentionList.hidden = true;
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void this.submit();
    } else if (event.key === 'Escape' && this.composing) {
      event.preventDefault();
      this.stopComposing();
    } else if (event.key === 'ArrowUp' && this.composer.value === '' && !this.composing) {
      // As in other chats: Up in an empty composer edits the user's last message here.
      const { state, current } = this.view();
      const last = current && state ? lastOwnMessage(state, current) : null;
      if (last) {
        event.preventDefault();
        this.start('edit', last);
      }
    }
  }

  private onComposerResize(): void {
    this.composer.style.height = 'auto';
    this.composer.style.height = `${Math.min(this.composer.scrollHeight, 160)}px`;
  }

  private onComposerInput(): void {
    this.onComposerResize();
    this.renderCounter();
    this.renderMentions();
    if (!this.typingActive) {
      this.typingActive = true;
      this.actions.typing(true);
      // Receivers expire an indicator after a few seconds; a long message keeps it alive.
      this.typingRefresh = window.setInterval(() => this.actions.typing(true), TYPING_REFRESH_MS);
    }
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping(): void {
    window.clearTimeout(this.typingTimer);
    window.clearInterval(this.typingRefresh);
    if (this.typingActive) {
      this.typingActive = false;
      this.actions.typing(false);
    }
  }

  async submit(): Promise<void> {
    const text = this.composer.value;
    if (!text.trim()) return;
    this.actions.showError('');
    const length = this.composerLength();
    if (length > this.maxChars) {
      // Refused here, before anything is sent, and the text stays to be shortened.
      this.actions.showError(
        `The message has ${length.toLocaleString('en-US')} characters; at most ${this.maxChars.toLocaleString('en-US')} can be sent.`,
      );
      return;
    }
    const composing = this.composing;
    try {
      if (composing?.mode === 'edit') await this.actions.edit(composing.item.seq, text);
      else if (composing?.mode === 'reply') await this.actions.reply(composing.item.seq, text);
      else await this.actions.send(text);
      this.composing = null;
      this.actions.rerender();
      // Cleared only once the engine has the message: nothing typed is lost to a failed send.
      this.composer.value = '';
      this.composer.style.height = 'auto';
      this.renderCounter();
      this.renderMentions();
      this.stopTyping();
    } catch (error) {
      this.actions.showError((error as Error).message);
    }
    this.composer.focus();
  }
}
