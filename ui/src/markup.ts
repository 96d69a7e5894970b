// The small Markdown subset messages may use, read into a tree: code blocks (```), quotes (lines starting with
// "> "), inline code (`…`), bold (**…**), italic (*…* or _…_), links (http and https addresses, never any
// other scheme) and mentions (`@` and the name of someone known). Pure and unit-tested; views/message.ts turns the tree into elements with dom.ts, so no text is
// ever parsed as HTML.

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; url: string }
  | { kind: 'mention'; name: string };

export type Block =
  { kind: 'paragraph'; inlines: Inline[] } | { kind: 'code'; text: string } | { kind: 'quote'; inlines: Inline[] };

/** An address up to the first space or angle bracket; trailing punctuation is the sentence's, not the link's. */
const URL = /https?:\/\/[^\s<>"]+/g;
const TRAILING = /[.,;:!?'"’”)\]]+$/;

/** Keeps a closing parenthesis that closes one opened inside the address (Wikipedia's "Foo_(bar)"). */
function trimUrl(url: string): string {
  let trimmed = url.replace(TRAILING, '');
  const rest = url.slice(trimmed.length);
  const opened = (trimmed.match(/\(/g) ?? []).length;
  const closed = (trimmed.match(/\)/g) ?? []).length;
  if (opened > closed && rest.startsWith(')')) trimmed += ')';
  return trimmed;
}

const WORD_CHARACTER = /[\p{L}\p{N}_]/u;

/** Names that `@` may mention, longest first: the longest name that follows an `@` is the one meant, so that
 *  "@Ann Host" is Ann Host and not Ann. */
export type Mentionable = readonly string[];

export function mentionable(names: Iterable<string>): Mentionable {
  return [...new Set(names)].sort((a, b) => b.length - a.length);
}

/** The name an `@` at `at` mentions, if any: a known name, not followed by more of a word. */
function mentionAt(text: string, at: number, names: Mentionable): string | null {
  if (text[at] !== '@' || (at > 0 && WORD_CHARACTER.test(text[at - 1]))) return null;
  const after = text.slice(at + 1).toLowerCase();
  for (const name of names) {
    if (after.startsWith(name.toLowerCase()) && !WORD_CHARACTER.test(after[name.length] ?? ' ')) return name;
  }
  return null;
}

/** Whether `text` mentions `name` with an `@` (case aside). */
export function mentions(text: string, name: string): boolean {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1))
    if (mentionAt(text, at, [name])) return true;
  return false;
}

/** Plain text with its mentions and links found. */
function linked(text: string, names: Mentionable): Inline[] {
  const out: Inline[] = [];
  let at = 0;
  for (let index = text.indexOf('@'); index >= 0; index = text.indexOf('@', index + 1)) {
    const name = mentionAt(text, index, names);
    if (!name) continue;
    if (index > at) out.push(...links(text.slice(at, index)));
    out.push({ kind: 'mention', name: text.slice(index + 1, index + 1 + name.length) });
    at = index + 1 + name.length;
    index = at - 1;
  }
  if (at < text.length) out.push(...links(text.slice(at)));
  return out;
}

/** Plain text with its links found. */
function links(text: string): Inline[] {
  const out: Inline[] = [];
  let at = 0;
  for (const match of text.matchAll(URL)) {
    const url = trimUrl(match[0]);
    const start = match.index ?? 0;
    // A valid address, or none: `new URL` refuses what a browser would not open.
    let valid = url.length > 'https://'.length;
    try {
      new globalThis.URL(url);
    } catch {
      valid = false;
    }
    if (!valid) continue;
    if (start > at) out.push({ kind: 'text', text: text.slice(at, start) });
    out.push({ kind: 'link', url });
    at = start + url.length;
  }
  if (at < text.length) out.push({ kind: 'text', text: text.slice(at) });
  return out;
}

/** Emphasis markers and the element each makes, longest first. */
const MARKERS: { marker: string; kind: 'strong' | 'em' }[] = [
  { marker: '**', kind: 'strong' },
  { marker: '*', kind: 'em' },
  { marker: '_', kind: 'em' },
];

/** Inline code first (nothing inside it is markup), then emphasis, then links in what is left. */
export function inlines(text: string, names: Mentionable = []): Inline[] {
  const out: Inline[] = [];
  let rest = text;
  while (rest.length > 0) {
    const tick = rest.indexOf('`');
    const close = tick >= 0 ? rest.indexOf('`', tick + 1) : -1;
    if (tick >= 0 && close > tick + 1) {
      out.push(...emphasis(rest.slice(0, tick), names));
      out.push({ kind: 'code', text: rest.slice(tick + 1, close) });
      rest = rest.slice(close + 1);
    } else {
      out.push(...emphasis(rest, names));
      rest = '';
    }
  }
  return out;
}

function emphasis(text: string, names: Mentionable): Inline[] {
  for (const { marker, kind } of MARKERS) {
    const open = findMarker(text, marker, 0);
    if (open < 0) continue;
    const close = findMarker(text, marker, open + marker.length);
    if (close < 0) continue;
    const inner = text.slice(open + marker.length, close);
    // "2 * 3 * 4" and "snake_case_name" are not emphasis: the marked text must not start or end with a space.
    if (inner.trim() !== inner || inner === '') continue;
    return [
      ...emphasis(text.slice(0, open), names),
      { kind, children: emphasis(inner, names) },
      ...emphasis(text.slice(close + marker.length), names),
    ];
  }
  return linked(text, names);
}

/** Where `marker` next stands as a marker: `_` only at a word's edge, so that names_with_underscores stay text. */
function findMarker(text: string, marker: string, from: number): number {
  for (let at = text.indexOf(marker, from); at >= 0; at = text.indexOf(marker, at + 1)) {
    if (marker === '*' && (text[at + 1] === '*' || text[at - 1] === '*')) continue;
    if (marker === '_') {
      const before = text[at - 1] ?? ' ';
      const after = text[at + 1] ?? ' ';
      if (/[\p{L}\p{N}]/u.test(before) && /[\p{L}\p{N}]/u.test(after)) continue;
    }
    return at;
  }
  return -1;
}

/** A message's text as blocks. */
export function blocks(text: string, names: Mentionable = []): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push({ kind: 'paragraph', inlines: inlines(paragraph.join('\n'), names) });
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (line.trimStart().startsWith('```')) {
      const end = lines.findIndex((candidate, at) => at > index && candidate.trimStart().startsWith('```'));
      if (end > index) {
        flush();
        out.push({ kind: 'code', text: lines.slice(index + 1, end).join('\n') });
        index = end;
        continue;
      }
    }
    if (line.startsWith('> ') || line === '>') {
      flush();
      const quoted = [line.slice(2)];
      while (index + 1 < lines.length && (lines[index + 1].startsWith('> ') || lines[index + 1] === '>')) {
        index += 1;
        quoted.push(lines[index].slice(2));
      }
      out.push({ kind: 'quote', inlines: inlines(quoted.join('\n'), names) });
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return out;
}
