// A tiny element builder. Text from users only ever goes in through `textContent`, never as HTML.

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  testid?: string;
  attrs?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.testid) element.dataset.testid = props.testid;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const [name, handler] of Object.entries(props.on ?? {})) {
    element.addEventListener(name, handler as EventListener);
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces an element's children. A child it already has, kept by a view across renders (a form being typed
 *  in), stays where it is in the page rather than being taken out and put back, as long as its order among the
 *  children kept does not change: the nodes around it are removed and inserted instead. */
export function replace(parent: Element, ...children: Child[]): void {
  // Taking the focused element out of the page blurs it, and the rest of what is typed would go nowhere: when a
  // kept element has to move after all, focus and selection come back if it is still in the page afterwards.
  const focused = document.activeElement;
  const kept = focused instanceof HTMLElement && parent.contains(focused) ? focused : null;
  const field = kept instanceof HTMLInputElement || kept instanceof HTMLTextAreaElement ? kept : null;
  const selection = field ? [field.selectionStart, field.selectionEnd] : null;
  const wanted: Node[] = [];
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    wanted.push(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  const staying = new Set(wanted);
  for (const node of [...parent.childNodes]) if (!staying.has(node)) node.remove();
  let at = parent.firstChild;
  for (const node of wanted) {
    if (node === at) {
      at = at.nextSibling;
      continue;
    }
    parent.insertBefore(node, at);
  }
  if (!kept || !kept.isConnected || document.activeElement === kept) return;
  kept.focus({ preventScroll: true });
  if (field && selection && selection[0] !== null && selection[1] !== null) {
    try {
      field.setSelectionRange(selection[0], selection[1]);
    } catch {
      // An input type without a selection (a checkbox): focus is all there is to keep.
    }
  }
}
