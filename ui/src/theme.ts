// The app's colours: the user's choice (light, dark, or the system's), drawn by setting `data-theme` on the root
// element, which the style sheet keys its palettes on. "system" follows the system's setting as it changes.
import type { Theme } from './bindings';

/** Kept in the page's storage too, so that the first frame already has the right colours. */
const THEME_KEY = 'banter.theme';

let chosen: Theme = 'system';

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

function paint(): void {
  const dark = chosen === 'dark' || (chosen === 'system' && systemPrefersDark());
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function isTheme(value: unknown): value is Theme {
  return value === 'system' || value === 'light' || value === 'dark';
}

/** Draws `theme` from now on and remembers it for the next start. */
export function applyTheme(theme: Theme): void {
  chosen = theme;
  localStorage.setItem(THEME_KEY, theme);
  paint();
}

/** The theme remembered by this page ("system" when none is). */
export function storedTheme(): Theme {
  const stored = localStorage.getItem(THEME_KEY);
  return isTheme(stored) ? stored : 'system';
}

/** Draws the remembered theme and follows the system's changes; called once, before the first render. */
export function startTheming(): void {
  chosen = storedTheme();
  paint();
  // Another tab of this page (a browser guest's) chose a theme: this one follows.
  window.addEventListener('storage', (event) => {
    if (event.key !== THEME_KEY || !isTheme(event.newValue)) return;
    chosen = event.newValue;
    paint();
  });
  if (typeof window.matchMedia === 'function') {
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', paint);
  }
}
