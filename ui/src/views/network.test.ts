import { describe, expect, it, vi } from 'vitest';
import type { FoundHost, RecentHostView } from '../bindings';
import { HostLists, type Pick } from './network';

const found = (hostId: string, title: string, address: string, accessCode = false): FoundHost => ({
  hostId,
  fingerprint: `FP${hostId}`,
  title,
  addresses: [address],
  online: 2,
  accessCode,
  protocol: 2,
});

const recent = (hostId: string, address: string, hasCode = false): RecentHostView => ({
  hostId,
  fingerprint: `FP${hostId}`,
  address,
  title: '',
  hasCode,
});

const testids = (element: HTMLElement, list: string) =>
  [...element.querySelectorAll(`[data-testid=${list}] > li`)].map((item) => (item as HTMLElement).dataset.testid);

describe('the host lists', () => {
  it('show hosts on the network, with a lock for a code, and remembered ones that are away', () => {
    const picks: Pick[] = [];
    const lists = new HostLists([recent('a', '10.0.0.5:7878', true), recent('b', '10.0.0.6:7878')], (pick) =>
      picks.push(pick),
    );
    lists.update({
      looking: { state: 'on' },
      hosts: [found('a', 'Ann', '10.0.0.9:7878', true), found('c', 'Cy', '10.0.0.7:7878', true)],
    });
    expect(testids(lists.element, 'network-hosts')).toEqual(['network-host-FPa', 'network-host-FPc']);
    expect(testids(lists.element, 'recent-hosts')).toEqual(['recent-host-FPb']);
    const ann = lists.element.querySelector<HTMLElement>('[data-testid=network-host-FPa]');
    expect(ann?.textContent).toContain('10.0.0.9:7878 · 2 online · fingerprint FPa · joined before');
    expect(ann?.querySelector('[data-testid=host-lock]')).not.toBeNull();
    expect(lists.element.querySelector<HTMLElement>('[data-testid=network-empty]')?.hidden).toBe(true);

    // A kept code means no asking; a host never joined needs one typed.
    lists.element.querySelector<HTMLButtonElement>('[data-testid=network-join-FPa]')?.click();
    lists.element.querySelector<HTMLButtonElement>('[data-testid=network-join-FPc]')?.click();
    lists.element.querySelector<HTMLButtonElement>('[data-testid=recent-join-FPb]')?.click();
    expect(picks).toEqual([
      { address: '10.0.0.9:7878', hostId: 'a', needsCode: false },
      { address: '10.0.0.7:7878', hostId: 'c', needsCode: true },
      { address: '10.0.0.6:7878', hostId: 'b', needsCode: false },
    ]);
  });

  it('say what to check when nothing is found, and when looking is off', () => {
    const lists = new HostLists([], () => {}, Date.now());
    const empty = () => lists.element.querySelector<HTMLElement>('[data-testid=network-empty]');
    expect(empty()?.textContent).toContain('Looking for hosts');
    lists.update({ looking: { state: 'off' }, hosts: [] });
    expect(empty()?.textContent).toContain('BANTER_DISCOVERY=off');
    lists.update({ looking: { state: 'failed', reason: 'no interface' }, hosts: [] });
    expect(empty()?.textContent).toContain('no interface');
    expect(empty()?.hidden).toBe(false);
  });

  it('stop saying "Looking…" after a while, and say what to check instead', () => {
    vi.useFakeTimers();
    try {
      const lists = new HostLists([], () => {}, Date.now());
      lists.update({ looking: { state: 'on' }, hosts: [] });
      const empty = lists.element.querySelector<HTMLElement>('[data-testid=network-empty]');
      expect(empty?.textContent).toContain('Looking for hosts');
      vi.advanceTimersByTime(5000);
      expect(empty?.textContent).toContain('same network');
      expect(empty?.textContent).toContain('UDP port 5353');
    } finally {
      vi.useRealTimers();
    }
  });
});
