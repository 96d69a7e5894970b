// The same scenarios as the engine's cursor tests (crates/banter-core/src/client/cursor.rs): both transports keep
// one contract.
import { describe, expect, it } from 'vitest';
import { Cursor } from './cursor';

const n = (seq: number) => ({ seq });
const seqs = (advance: { ready: { seq: number }[] }) => advance.ready.map((message) => message.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => n(from + index));

describe('cursor', () => {
  it('drops copies and reports the next number', () => {
    const cursor = new Cursor();
    const first = cursor.page([n(4), n(5)], 5, null);
    expect([seqs(first), first.fetchAfter]).toEqual([[4, 5], null]);
    expect(seqs(cursor.live(n(5)))).toEqual([]);
    expect(seqs(cursor.live(n(6)))).toEqual([6]);
  });

  it('fills a gap from the host before what came after it', () => {
    const cursor = new Cursor();
    cursor.page([n(1)], 1, null);
    const held = cursor.live(n(4));
    expect([seqs(held), held.fetchAfter]).toEqual([[], 1]);
    expect(cursor.live(n(5)).fetchAfter).toBeNull();
    const filled = cursor.page([n(2), n(3), n(4)], 5, 1);
    expect([seqs(filled), filled.fetchAfter]).toEqual([[2, 3, 4, 5], null]);
    expect(cursor.last()).toBe(5);
  });

  it('catches up a long absence page by page', () => {
    const cursor = new Cursor();
    cursor.page([n(10)], 10, null);
    const page = cursor.page(range(11, 13), 20, 10);
    expect([seqs(page), page.fetchAfter]).toEqual([[11, 12, 13], 13]);
    const live = cursor.live(n(21));
    expect([seqs(live), live.fetchAfter]).toEqual([[], null]);
    const rest = cursor.page(range(14, 20), 21, 13);
    expect([seqs(rest), rest.fetchAfter]).toEqual([range(14, 21).map((m) => m.seq), null]);
  });

  it('holds everything until its first page when it has no number', () => {
    const cursor = new Cursor();
    expect(seqs(cursor.live(n(8)))).toEqual([]);
    expect(seqs(cursor.page([n(6), n(7)], 7, null))).toEqual([6, 7, 8]);
    const empty = new Cursor();
    expect(seqs(empty.page([], 0, null))).toEqual([]);
    expect(seqs(empty.live(n(1)))).toEqual([1]);
  });

  it('skips numbers deleted with their room instead of waiting for them', () => {
    const cursor = new Cursor();
    cursor.page([n(10)], 10, null);
    expect(cursor.live(n(22)).fetchAfter).toBe(10);
    const page = cursor.page([n(21), n(22)], 22, 10);
    expect([seqs(page), page.fetchAfter]).toEqual([[21, 22], null]);
    const welcome = cursor.page([n(40), n(41)], 41, null);
    expect([seqs(welcome), welcome.fetchAfter]).toEqual([[], 22]);
  });

  it('does not hold messages without end when a gap never fills', () => {
    const cursor = new Cursor();
    cursor.page([n(1)], 1, null);
    expect(cursor.live(n(3)).fetchAfter).toBe(1);
    let reported = 0;
    for (let seq = 4; seq < 5010; seq += 1) reported += cursor.live(n(seq)).ready.length;
    expect(reported).toBeGreaterThan(5000);
  });
});
