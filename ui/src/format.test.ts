import { describe, expect, it } from 'vitest';
import { continuesGroup, GROUP_WINDOW_MS, hueFor, initials, typingLine } from './format';

describe('formatting', () => {
  it('groups consecutive messages of one sender within the window', () => {
    const first = { kind: 'message', from: 'ann', ts: 0 };
    expect(continuesGroup(first, { from: 'ann', ts: 1000 })).toBe(true);
    expect(continuesGroup(first, { from: 'bob', ts: 1000 })).toBe(false);
    expect(continuesGroup(first, { from: 'ann', ts: GROUP_WINDOW_MS + 1 })).toBe(false);
    expect(continuesGroup({ kind: 'notice', ts: 0 }, { from: 'ann', ts: 1 })).toBe(false);
    expect(continuesGroup(undefined, { from: 'ann', ts: 1 })).toBe(false);
  });

  it('gives everyone initials and a stable colour', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('zoë')).toBe('Z');
    expect(initials('😀 party')).toBe('😀P');
    expect(hueFor('Ann')).toBe(hueFor('ann'));
    expect(hueFor('ann')).toBeGreaterThanOrEqual(0);
  });

  it('says who is typing', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(['ann'])).toBe('ann is typing…');
    expect(typingLine(['ann', 'bob'])).toBe('ann and bob are typing…');
    expect(typingLine(['a', 'b', 'c'])).toBe('3 people are typing…');
  });
});
