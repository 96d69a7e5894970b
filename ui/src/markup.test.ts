import { describe, expect, it } from 'vitest';
import { blocks, inlines } from './markup';

describe('the message markup', () => {
  it('reads bold, italic and inline code, and leaves look-alikes as text', () => {
    expect(inlines('a **bold** and *soft* and _also_ `x *y*`')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'strong', children: [{ kind: 'text', text: 'bold' }] },
      { kind: 'text', text: ' and ' },
      { kind: 'em', children: [{ kind: 'text', text: 'soft' }] },
      { kind: 'text', text: ' and ' },
      { kind: 'em', children: [{ kind: 'text', text: 'also' }] },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'x *y*' },
    ]);
    expect(inlines('2 * 3 * 4')).toEqual([{ kind: 'text', text: '2 * 3 * 4' }]);
    expect(inlines('snake_case_name')).toEqual([{ kind: 'text', text: 'snake_case_name' }]);
    expect(inlines('**unclosed')).toEqual([{ kind: 'text', text: '**unclosed' }]);
  });

  it('links only http and https addresses, without the sentence around them', () => {
    expect(inlines('see https://example.org/a?b=1, then (https://en.wikipedia.org/wiki/Foo_(bar)).')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', url: 'https://example.org/a?b=1' },
      { kind: 'text', text: ', then (' },
      { kind: 'link', url: 'https://en.wikipedia.org/wiki/Foo_(bar)' },
      { kind: 'text', text: ').' },
    ]);
    expect(inlines('javascript:alert(1) data:text/html,x file:///etc/passwd')).toEqual([
      { kind: 'text', text: 'javascript:alert(1) data:text/html,x file:///etc/passwd' },
    ]);
    expect(inlines('`https://not.a/link`')).toEqual([{ kind: 'code', text: 'https://not.a/link' }]);
  });

  it('reads code blocks and quotes as blocks', () => {
    expect(blocks('look:\n```\nfn main() {}\n  **not bold**\n```\n> quoted *here*\n> and on\nafter')).toEqual([
      { kind: 'paragraph', inlines: [{ kind: 'text', text: 'look:' }] },
      { kind: 'code', text: 'fn main() {}\n  **not bold**' },
      {
        kind: 'quote',
        inlines: [
          { kind: 'text', text: 'quoted ' },
          { kind: 'em', children: [{ kind: 'text', text: 'here' }] },
          { kind: 'text', text: '\nand on' },
        ],
      },
      { kind: 'paragraph', inlines: [{ kind: 'text', text: 'after' }] },
    ]);
    expect(blocks('```\nunclosed')).toEqual([
      { kind: 'paragraph', inlines: [{ kind: 'text', text: '```\nunclosed' }] },
    ]);
  });
});
