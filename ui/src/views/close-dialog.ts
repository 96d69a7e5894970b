// The question asked when the window is closed while this app hosts a chat: closing would end the chat for
// everyone in it, so the window stays until the owner chooses to stop hosting and quit, or to keep hosting.
import { el } from '../dom';

export interface CloseChoices {
  /** Stops hosting, telling the guests, and quits. */
  stopAndQuit(): Promise<void>;
  /** Keeps hosting: the question goes away. */
  keep(): void;
}

/** How many others the question names, from the people online (the owner among them). */
export function othersLine(othersOnline: number): string {
  if (othersOnline <= 0) return 'Nobody else is in it right now.';
  return othersOnline === 1 ? '1 other person is in it now.' : `${othersOnline} other people are in it now.`;
}

export function closeDialog(othersOnline: number, choices: CloseChoices): HTMLElement {
  const failure = el('p', { class: 'composer-error', attrs: { role: 'alert' } });
  const stop = el(
    'button',
    {
      class: 'danger-button',
      testid: 'close-stop-hosting',
      attrs: { type: 'button' },
      on: {
        click: () => {
          stop.disabled = true;
          choices.stopAndQuit().catch((error: unknown) => {
            stop.disabled = false;
            failure.textContent = (error as Error).message;
          });
        },
      },
    },
    'Stop hosting and quit',
  );
  const keep = el(
    'button',
    { class: 'primary', testid: 'close-keep-hosting', attrs: { type: 'button' }, on: { click: () => choices.keep() } },
    'Keep hosting',
  );
  const dialog = el(
    'div',
    {
      class: 'modal',
      testid: 'close-dialog',
      attrs: { role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'close-title' },
      on: {
        keydown: (event) => {
          if (event.key === 'Escape') choices.keep();
        },
      },
    },
    el(
      'div',
      { class: 'modal-card' },
      el('h2', { attrs: { id: 'close-title' } }, 'You are hosting this chat'),
      el(
        'p',
        {},
        `Closing Banter ends the chat for everyone connected to it. ${othersLine(othersOnline)} Rooms and messages are kept for when you host again.`,
      ),
      failure,
      el('div', { class: 'modal-actions' }, keep, stop),
    ),
  );
  // The safe choice has the keyboard.
  window.setTimeout(() => keep.focus(), 0);
  return dialog;
}
