// The Join card's host lists: "On your network" (hosts found by mDNS, updated live) and "Joined before" (hosts
// remembered by id that are not on the network now). One click on either joins.
import type { FoundHost, NetworkView, RecentHostView } from '../bindings';
import { el, replace } from '../dom';

/** A host the user can pick: where to join it and which host it is. */
export interface Pick {
  address: string;
  hostId: string;
  /** It needs an access code, and none is kept for it. */
  needsCode: boolean;
}

/** How long the list says "Looking…" before it says what to check. */
const LOOKING_MS = 4000;

/** When this page first showed the lists: the app keeps looking from then on, whichever screen comes and goes. */
let firstShown: number | null = null;

/** A lock drawn in CSS (emoji fonts are not everywhere), with its words for screen readers and on hover. */
function lock(): HTMLElement {
  return el('span', {
    class: 'host-lock',
    testid: 'host-lock',
    attrs: { title: 'Needs an access code', 'aria-label': 'needs an access code', role: 'img' },
  });
}

function entry(
  testid: string,
  title: string,
  details: string[],
  locked: boolean,
  button: HTMLButtonElement,
  hostId: string,
): HTMLElement {
  return el(
    'li',
    { class: 'host-entry', testid, attrs: { 'data-host-id': hostId, 'data-title': title } },
    el(
      'div',
      { class: 'host-text' },
      el('div', { class: 'host-title' }, title, locked ? lock() : null),
      el('div', { class: 'host-meta' }, details.join(' · ')),
    ),
    button,
  );
}

/** The lists, kept current by `update`; `join` is called with the host picked. */
export class HostLists {
  readonly element: HTMLElement;
  private readonly found = el('ul', { class: 'host-list', testid: 'network-hosts', attrs: { 'aria-live': 'polite' } });
  private readonly empty = el('p', {
    class: 'field-hint network-empty',
    testid: 'network-empty',
    attrs: { role: 'status' },
  });
  private readonly recentList = el('ul', { class: 'host-list', testid: 'recent-hosts' });
  private readonly recentSection: HTMLElement;
  private view: NetworkView | null = null;

  /** `since`: when looking began (by default, when this page first showed the lists). */
  constructor(
    private readonly recent: RecentHostView[],
    private readonly join: (pick: Pick) => void,
    private readonly since = (firstShown ??= Date.now()),
  ) {
    this.recentSection = el(
      'section',
      { class: 'host-section' },
      el('h3', { class: 'host-section-title' }, 'Joined before'),
      this.recentList,
    );
    this.element = el(
      'div',
      { class: 'host-lists' },
      el(
        'section',
        { class: 'host-section' },
        el('h3', { class: 'host-section-title' }, 'On your network'),
        this.found,
        this.empty,
      ),
      this.recentSection,
    );
    this.render();
    // The empty state changes from "Looking…" to what to check without an event.
    const left = LOOKING_MS - (Date.now() - since);
    if (left > 0) window.setTimeout(() => this.render(), left);
  }

  update(view: NetworkView): void {
    this.view = view;
    this.render();
  }

  private joinButton(testid: string, pick: Pick, label: string): HTMLButtonElement {
    return el(
      'button',
      {
        class: 'secondary',
        testid,
        attrs: { type: 'button', 'aria-label': label },
        on: { click: () => this.join(pick) },
      },
      'Join',
    );
  }

  private render(): void {
    const hosts = this.view?.hosts ?? [];
    const known = new Map(this.recent.map((host) => [host.hostId, host]));
    replace(this.found, ...hosts.map((host) => this.foundEntry(host, known.get(host.hostId))));
    this.empty.hidden = hosts.length > 0;
    this.empty.textContent = this.emptyText();
    const away = this.recent.filter((host) => !hosts.some((found) => found.hostId === host.hostId));
    replace(this.recentList, ...away.map((host) => this.recentEntry(host)));
    this.recentSection.hidden = away.length === 0;
  }

  private emptyText(): string {
    const looking = this.view?.looking;
    if (looking?.state === 'off')
      return 'Looking for hosts is turned off on this computer (BANTER_DISCOVERY=off). Type the host’s address below.';
    if (looking?.state === 'failed')
      return `Banter cannot look for hosts here (${looking.reason}). Type the host’s address below.`;
    if (Date.now() - this.since < LOOKING_MS) return 'Looking for hosts on your network…';
    return 'No hosts found. Check that you are on the same network as the host and that no firewall blocks mDNS (UDP port 5353) or the host’s port, or type its address below.';
  }

  private foundEntry(host: FoundHost, known: RecentHostView | undefined): HTMLElement {
    const address = host.addresses[0] ?? '';
    const details = [address, `${host.online} online`, `fingerprint ${host.fingerprint}`];
    if (known) details.push('joined before');
    const pick = { address, hostId: host.hostId, needsCode: host.accessCode && !known?.hasCode };
    const button = this.joinButton(`network-join-${host.fingerprint}`, pick, `Join ${host.title}`);
    button.disabled = address === '';
    return entry(
      `network-host-${host.fingerprint}`,
      host.title || address,
      details,
      host.accessCode,
      button,
      host.hostId,
    );
  }

  private recentEntry(host: RecentHostView): HTMLElement {
    const details = [`last at ${host.address}`, `fingerprint ${host.fingerprint}`, 'not seen on the network now'];
    if (host.hasCode) details.push('code kept');
    const pick = { address: host.address, hostId: host.hostId, needsCode: false };
    const button = this.joinButton(`recent-join-${host.fingerprint}`, pick, `Join ${host.title || host.address}`);
    return entry(`recent-host-${host.fingerprint}`, host.title || host.address, details, false, button, host.hostId);
  }
}
