import { describe, expect, it } from 'vitest';
import { el, replace } from './dom';

describe('the element builder', () => {
  it('puts text from users in as text, never as markup', () => {
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b>';
    const element = el('p', {}, hostile);
    expect(element.textContent).toBe(hostile);
    expect(element.querySelector('img')).toBeNull();
    expect(element.innerHTML).toContain('&lt;img');
  });

  it('keeps the focus and the selection of a field that a render moves', () => {
    const field = el('input', {});
    const parent = el('nav', {}, el('p', {}, 'before'), field);
    document.body.append(parent);
    field.value = 'gue';
    field.focus();
    field.setSelectionRange(3, 3);
    replace(parent, el('p', {}, 'a new line above'), field);
    expect(document.activeElement).toBe(field);
    expect([field.selectionStart, field.selectionEnd]).toEqual([3, 3]);
    // A field that a render drops is not brought back.
    replace(parent, el('p', {}, 'nothing to type in'));
    expect(document.activeElement).not.toBe(field);
    parent.remove();
  });

  it('leaves a kept child in the page while the nodes around it change, and keeps the order asked for', () => {
    const form = el('form', {}, el('input', {}));
    const parent = el('aside', {}, el('p', {}, 'one'), el('p', {}, 'two'), form, el('p', {}, 'three'));
    document.body.append(parent);
    let moved = 0;
    new MutationObserver((records) => {
      for (const record of records) if ([...record.removedNodes].includes(form)) moved += 1;
    }).observe(parent, { childList: true });
    replace(parent, el('p', {}, 'uno'), el('p', {}, 'dos'), 'and', form, el('p', {}, 'tres'));
    expect([...parent.childNodes].map((node) => node.textContent)).toEqual(['uno', 'dos', 'and', '', 'tres']);
    expect(parent.childNodes[3]).toBe(form);
    // Moved only when its order among the kept children changes.
    const other = parent.childNodes[4] as HTMLElement;
    replace(parent, other, form);
    expect([...parent.childNodes]).toEqual([other, form]);
    return Promise.resolve().then(() => {
      expect(moved).toBe(0);
      parent.remove();
    });
  });
});
