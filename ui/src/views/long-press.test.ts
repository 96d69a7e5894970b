import { afterEach, describe, expect, it, vi } from 'vitest';
import { el } from '../dom';
import { LONG_PRESS_MS, onLongPress } from './long-press';

/** jsdom has no PointerEvent: a mouse event carrying the pointer's type stands in for it. */
function pointer(type: string, pointerType: string, x = 0, y = 0): Event {
  const event = new MouseEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y });
  Object.defineProperty(event, 'pointerType', { value: pointerType });
  return event;
}

describe('a long press', () => {
  afterEach(() => vi.useRealTimers());

  it('fires after a finger stays down, and swallows the click that ends it', () => {
    vi.useFakeTimers();
    const button = el('button');
    const pressed = vi.fn();
    const clicked = vi.fn();
    button.addEventListener('click', clicked);
    onLongPress(button, pressed);
    button.dispatchEvent(pointer('pointerdown', 'touch'));
    vi.advanceTimersByTime(LONG_PRESS_MS - 1);
    expect(pressed).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(pressed).toHaveBeenCalledTimes(1);
    button.dispatchEvent(pointer('pointerup', 'touch'));
    button.click();
    expect(clicked).not.toHaveBeenCalled();
    // A short tap after it is a click again.
    button.dispatchEvent(pointer('pointerdown', 'touch'));
    button.dispatchEvent(pointer('pointerup', 'touch'));
    button.click();
    expect(clicked).toHaveBeenCalledTimes(1);
    expect(pressed).toHaveBeenCalledTimes(1);
  });

  it('is not a long press for a mouse, or for a finger that moves away (a scroll)', () => {
    vi.useFakeTimers();
    const button = el('button');
    const pressed = vi.fn();
    onLongPress(button, pressed);
    button.dispatchEvent(pointer('pointerdown', 'mouse'));
    vi.advanceTimersByTime(LONG_PRESS_MS * 2);
    button.dispatchEvent(pointer('pointerdown', 'touch', 0, 0));
    button.dispatchEvent(pointer('pointermove', 'touch', 0, 30));
    vi.advanceTimersByTime(LONG_PRESS_MS * 2);
    expect(pressed).not.toHaveBeenCalled();
  });
});
