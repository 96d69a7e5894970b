// A shared file in a message: images the host names as such are shown, videos and sounds the webview can play get
// a player, and anything else a card with its name, size and type. Every one offers Save (the Save dialog in the
// app, the browser's download for a guest).
import type { FileInfo } from '../bindings';
import { el } from '../dom';
import { formatBytes } from '../format';

/** Images larger than this get a card: the app's preview scheme carries at most this much at once. */
export const PREVIEW_MOST_BYTES = 32 * 1024 * 1024;
/** The image types the host serves inline (every other file is served as a download). */
const SHOWN_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const PLAYED = new Map([
  ['mp4', 'video'],
  ['m4v', 'video'],
  ['webm', 'video'],
  ['ogv', 'video'],
  ['mov', 'video'],
  ['mp3', 'audio'],
  ['m4a', 'audio'],
  ['wav', 'audio'],
  ['ogg', 'audio'],
  ['oga', 'audio'],
  ['opus', 'audio'],
]);

export interface FileActions {
  /** Where the webview loads the file from, to show or play it. */
  fileSource(file: FileInfo): string;
  saveFile(file: FileInfo): void;
}

/** The file's type as people say it: its extension, in capitals ("PDF"), or "File". */
export function fileKind(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1) : '';
  return extension && extension.length <= 8 ? extension.toUpperCase() : 'File';
}

export function previewOf(file: FileInfo): 'image' | 'video' | 'audio' | null {
  if (SHOWN_IMAGES.has(file.mime) && file.size <= PREVIEW_MOST_BYTES) return 'image';
  const dot = file.name.lastIndexOf('.');
  const played = PLAYED.get(file.name.slice(dot + 1).toLowerCase());
  return dot > 0 && played ? (played as 'video' | 'audio') : null;
}

export function fileCard(file: FileInfo, from: string, actions: FileActions): HTMLElement {
  const save = el(
    'button',
    {
      class: 'link-button file-save',
      testid: 'file-save',
      attrs: { type: 'button', title: `Save ${file.name}`, 'aria-label': `Save ${file.name}` },
      on: { click: () => actions.saveFile(file) },
    },
    'Save as…',
  );
  const facts = el(
    'div',
    { class: 'file-facts' },
    el('span', { class: 'file-name', testid: 'file-name', attrs: { dir: 'auto', title: file.name } }, file.name),
    el('span', { class: 'file-meta', testid: 'file-meta' }, `${formatBytes(file.size)} · ${fileKind(file.name)}`),
  );
  const preview = previewOf(file);
  const source = actions.fileSource(file);
  let shown: HTMLElement | null = null;
  if (preview === 'image') {
    shown = el('img', {
      class: 'file-preview',
      testid: 'file-preview',
      attrs: { src: source, alt: `${file.name}, from ${from}`, loading: 'lazy' },
    });
  } else if (preview) {
    shown = el(preview, {
      class: `file-preview ${preview}`,
      testid: 'file-player',
      attrs: { src: source, controls: '', preload: 'metadata' },
    });
  }
  const badge = shown
    ? null
    : el('span', { class: 'file-badge', attrs: { 'aria-hidden': 'true' } }, fileKind(file.name));
  return el(
    'figure',
    { class: shown ? 'file-card with-preview' : 'file-card', testid: 'file-card' },
    shown,
    el('figcaption', { class: 'file-caption' }, badge, facts, save),
  );
}
