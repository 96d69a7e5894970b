import { describe, expect, it } from 'vitest';
import {
  activeAgo,
  continuesGroup,
  formatBytes,
  formatDuration,
  GROUP_WINDOW_MS,
  hueFor,
  initials,
  typingLine,
} from './format';

describe('formatting', () => {
  it('groups consecutive messages of one sender within the window', () => {
    const first = { kind: 'message', from: 'ann', ts: 0 };
    expect(continuesGroup(first, { from: 'ann', ts: 1000 })).toBe(true);
    expect(continuesGroup(first, { from: 'bob', ts: 1000 })).toBe(false);
    expect(continuesGroup(first, { from: 'ann', ts: GROUP_WINDOW_MS + 1 })).toBe(false);
    expect(continuesGroup({ kind: 'notice', ts: 0 }, { from: 'ann', ts: 1 })).toBe(false);
    expect(continuesGroup(undefined, { from: 'ann', ts: 1 })).toBe(false);
    // A message still being sent has this device's time, which may be a little ahead of the host's.
    expect(continuesGroup({ kind: 'message', from: 'Ann', ts: 1500 }, { from: 'ann', ts: 1200 })).toBe(true);
  });

  it('gives everyone initials and a stable colour', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('zoë')).toBe('Z');
    expect(initials('😀 party')).toBe('P');
    expect(initials('🦊 Fox Mulder')).toBe('FM');
    expect(initials('🎉')).toBe('🎉');
    expect(initials("ann-marie o'neil")).toBe('AO');
    expect(hueFor('Ann')).toBe(hueFor('ann'));
    expect(hueFor('ann')).toBeGreaterThanOrEqual(0);
  });

  it('says who is typing', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(['ann'])).toBe('ann is typing…');
    expect(typingLine(['ann', 'bob'])).toBe('ann and bob are typing…');
    expect(typingLine(['a', 'b', 'c'])).toBe('3 people are typing…');
  });

  it('says when a room was last active', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0);
    const minute = 60_000;
    expect(activeAgo(now - 20_000, now, 'en')).toBe('active now');
    expect(activeAgo(now + 5 * minute, now, 'en')).toBe('active now');
    expect(activeAgo(now - 5 * minute, now, 'en')).toBe('active 5 minutes ago');
    expect(activeAgo(now - 3 * 60 * minute, now, 'en')).toBe('active 3 hours ago');
    expect(activeAgo(now - 30 * 60 * minute, now, 'en')).toBe('active yesterday');
    expect(activeAgo(now - 10 * 24 * 60 * minute, now, 'en')).toBe('active 10 days ago');
    expect(activeAgo(Date.UTC(2025, 2, 14, 12, 0), now, 'en')).toBe('active Mar 14, 2025');
  });
});

describe('sizes and durations', () => {
  it('says a size as the host does', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(2.3 * 1024 * 1024)).toBe('2.3 MiB');
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.0 GiB');
  });

  it('says how long is left in the largest sensible unit', () => {
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(59)).toBe('59 s');
    expect(formatDuration(61)).toBe('2 min');
    expect(formatDuration(3900)).toBe('1 h 5 min');
  });
});
