// A long press with a finger, for what a pointer shows on hover (who reacted): touch screens have no hover. The
// click that ends a long press is swallowed, so holding a reaction to read it does not also toggle it.

/** How long a finger must stay down, as the platforms' own long press. */
export const LONG_PRESS_MS = 500;
/** How far the finger may move and still be pressing (beyond it, the user is scrolling). */
const SLOP_PX = 10;

export function onLongPress(element: HTMLElement, handler: () => void): void {
  let timer: number | null = null;
  let fired = false;
  let origin = { x: 0, y: 0 };
  const cancel = () => {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
  };
  element.addEventListener('pointerdown', (event) => {
    if (event.pointerType !== 'touch') return;
    fired = false;
    origin = { x: event.clientX, y: event.clientY };
    cancel();
    timer = window.setTimeout(() => {
      timer = null;
      fired = true;
      handler();
    }, LONG_PRESS_MS);
  });
  element.addEventListener('pointermove', (event) => {
    if (Math.hypot(event.clientX - origin.x, event.clientY - origin.y) > SLOP_PX) cancel();
  });
  element.addEventListener('pointerup', cancel);
  element.addEventListener('pointercancel', cancel);
  // The browser's own long-press menu would cover what the handler shows.
  element.addEventListener('contextmenu', (event) => {
    if (fired || timer !== null) event.preventDefault();
  });
  element.addEventListener(
    'click',
    (event) => {
      if (!fired) return;
      fired = false;
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    { capture: true },
  );
}
