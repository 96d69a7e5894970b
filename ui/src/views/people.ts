// The people list: everyone online, who is in the open room, and, for the host's owner, Ban under each person.
// Clicking a name opens a direct message. Drawn again only when something it shows has changed.
import type { ChatState, Conversation } from '../store';
import { LOBBY, dmKey } from '../store';
import { el, replace } from '../dom';
import { avatar } from './message';
import { banButton, banForm, kickButton, type ModerationActions } from './moderation';

export interface PeopleActions {
  open(key: string): void;
  /** Closes the list where it opens over the conversation (narrow windows). */
  close(): void;
  moderation: ModerationActions;
}

export class PeopleList {
  readonly root = el('aside', { class: 'members', attrs: { 'aria-label': 'People' } });
  private drawn = '';

  constructor(
    private readonly actions: PeopleActions,
    private readonly guard: (work: () => Promise<void>) => Promise<void>,
  ) {}

  render(state: ChatState, current: Conversation): void {
    const signature = JSON.stringify([
      state.rich,
      state.me,
      state.status?.state === 'connected',
      state.users.map((user) => user.name),
      current.kind,
      current.name,
      current.members,
      state.hosting !== null,
      state.banning,
    ]);
    if (signature === this.drawn) return;
    this.drawn = signature;
    this.draw(state, current);
  }

  private draw(state: ChatState, current: Conversation): void {
    if (!state.rich) {
      replace(this.root);
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    // While disconnected nobody's presence is known: the list shows who was here, greyed, not a green dot.
    const known = state.status?.state === 'connected';
    const inRoom = new Set(current.kind === 'room' ? current.members : []);
    const people = [...state.users].sort((a, b) => a.name.localeCompare(b.name));
    const guard = (work: () => Promise<void>) => this.guard(work);
    const row = (name: string, note: string) => {
      const self = name.toLowerCase() === state.me.toLowerCase();
      // The host's owner can ban anyone but themself.
      const moderated = state.hosting !== null && !self;
      return el(
        'li',
        { class: moderated ? 'moderated' : '' },
        el(
          'button',
          {
            class: 'member',
            testid: `member-${name}`,
            attrs: { type: 'button', title: self ? 'You' : `Message ${name}`, ...(self ? { disabled: '' } : {}) },
            on: {
              click: () => {
                this.actions.close();
                this.actions.open(dmKey(name));
              },
            },
          },
          avatar(name),
          el('span', { class: 'member-name' }, self ? `${name} (you)` : name),
          note ? el('span', { class: 'member-note' }, note) : null,
          el('span', {
            class: known ? 'presence' : 'presence unknown',
            attrs: {
              'aria-label': known ? 'online' : 'unknown while disconnected',
              title: known ? 'Online' : 'Unknown while disconnected',
            },
          }),
        ),
        moderated ? kickButton(name, this.actions.moderation, guard) : null,
        moderated ? banButton(name, this.actions.moderation) : null,
        moderated && state.banning === name ? banForm(name, this.actions.moderation, guard) : null,
      );
    };
    replace(
      this.root,
      el(
        'button',
        {
          class: 'link-button people-close',
          testid: 'people-close',
          attrs: { type: 'button', 'aria-label': 'Close the people list' },
          on: { click: () => this.actions.close() },
        },
        'Close',
      ),
      el(
        'h3',
        { class: 'sidebar-title', testid: 'people-title' },
        known ? `People — ${people.length} online` : 'People',
      ),
      known
        ? null
        : el(
            'p',
            { class: 'empty-hint', testid: 'presence-unknown' },
            'Who is online is unknown until the connection is back.',
          ),
      people.length
        ? el(
            'ul',
            { class: 'member-list' },
            ...people.map((user) =>
              row(user.name, current.kind === 'room' && inRoom.has(user.name) && current.name !== LOBBY ? 'here' : ''),
            ),
          )
        : el('p', { class: 'empty-hint' }, 'Nobody else is here yet.'),
    );
  }
}
