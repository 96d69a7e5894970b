// The same scenarios as the engine's client/revisions.rs tests.
import { describe, expect, it } from 'vitest';
import { Revisions } from './revisions';

const changed = (rev: number) => ({ rev });

describe('Revisions', () => {
  it('advances one live change at a time and fetches a gap once', () => {
    const revisions = new Revisions();
    expect(revisions.live('lobby', 3)).toBeNull();
    expect(revisions.joined('lobby', null, [], 4)).toBeNull();
    expect(revisions.live('lobby', 5)).toBeNull();
    expect(revisions.live('lobby', 5)).toBeNull();
    expect(revisions.live('lobby', 8)).toBe(5);
    expect(revisions.live('lobby', 9)).toBeNull();
    expect(revisions.page('lobby', [changed(6), changed(7), changed(9)], 9)).toBeNull();
    expect(revisions.last('lobby')).toBe(9);
  });

  it('pages through what changed after a rejoin until the latest', () => {
    const revisions = new Revisions();
    revisions.joined('lobby', null, [], 2);
    expect(revisions.joined('lobby', 2, [changed(3), changed(5)], 9)).toBe(5);
    expect(revisions.page('lobby', [changed(7), changed(9)], 9)).toBeNull();
    expect(revisions.last('lobby')).toBe(9);
    expect(revisions.page('lobby', [], 12)).toBeNull();
    expect(revisions.last('lobby')).toBe(12);
  });
});
