// Small pure helpers for showing people and time.

/** `14:05`, in the user's locale. */
export function formatTime(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Messages from one sender this close together are shown as one group. */
export const GROUP_WINDOW_MS = 5 * 60 * 1000;

/** Whether a message continues the group of the one before it. */
export function continuesGroup(
  previous: { kind: string; from?: string; ts: number } | undefined,
  current: { from: string; ts: number },
): boolean {
  // Either order in time: a message still being sent carries this device's clock, the ones the host confirmed
  // carry the host's, and the two differ by a little either way; and names are one person whatever their case.
  return (
    previous !== undefined &&
    previous.kind === 'message' &&
    previous.from?.toLowerCase() === current.from.toLowerCase() &&
    Math.abs(current.ts - previous.ts) < GROUP_WINDOW_MS
  );
}

/** A stable hue for a name, so each person keeps one colour. */
export function hueFor(name: string): number {
  let hash = 0;
  for (const char of name.toLowerCase()) {
    hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  }
  return hash % 360;
}

/** One or two letters for an avatar: the first letters of the first and last words that have one ("🦊 Fox Mulder"
 *  is "FM"), or the name's first character when no word has a letter. */
export function initials(name: string): string {
  const letterOf = (word: string) => Array.from(word).find((character) => /\p{L}/u.test(character));
  const letters = name
    .trim()
    .split(/\s+/)
    .map(letterOf)
    .filter((letter): letter is string => letter !== undefined);
  const picked = letters.length > 1 ? [letters[0], letters[letters.length - 1]] : letters;
  // By code point, not UTF-16 unit, so that an emoji is not cut in half.
  if (picked.length === 0) return Array.from(name.trim())[0] ?? '?';
  return picked.join('').toUpperCase();
}

/** "alice is typing…", "alice and bob are typing…", "3 people are typing…". */
export function typingLine(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/** "active now", "active 5 minutes ago", "active yesterday": when a room last had a message, in the user's words. */
export function activeAgo(ts: number, now: number, locale?: string): string {
  const minutes = Math.floor(Math.max(0, now - ts) / 60_000);
  if (minutes < 1) return 'active now';
  const words = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (minutes < 60) return `active ${words.format(-minutes, 'minute')}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `active ${words.format(-hours, 'hour')}`;
  const days = Math.floor(hours / 24);
  if (days < 30) return `active ${words.format(-days, 'day')}`;
  return `active ${new Date(ts).toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' })}`;
}

/** "512 bytes", "2.3 MiB", "4.0 GiB": a size as the host's messages and the terminal client say it. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit + 1 < units.length) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** "40 s", "3 min", "1 h 5 min": how long something still takes. */
export function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
