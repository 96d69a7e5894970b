import { describe, expect, it } from 'vitest';
import { el } from './dom';

describe('the element builder', () => {
  it('puts text from users in as text, never as markup', () => {
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b>';
    const element = el('p', {}, hostile);
    expect(element.textContent).toBe(hostile);
    expect(element.querySelector('img')).toBeNull();
    expect(element.innerHTML).toContain('&lt;img');
  });
});
