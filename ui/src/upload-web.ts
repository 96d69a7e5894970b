// A browser guest's uploads: the file's SHA-256 read in pieces (a guest on http:// has no WebCrypto, and a 2 GB
// file must never be in memory at once), then its bytes sent with XHR (which, unlike fetch, reports upload
// progress) to the path the host's ticket names, taken up again from the host's offset after a cut. The protocol
// is in docs/PROTOCOL.md, "Files".
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { BeginUpload, FileInfo, UploadTicket } from './bindings';
import { TransportError } from './transport-types';

/** Bytes read at a time while hashing. */
const HASH_PIECE = 4 * 1024 * 1024;
/** Cuts survived in a row before the upload gives up (Retry starts it again from the host's offset). */
const ATTEMPTS = 8;

export type Progress = (done: number, total: number) => void;

/** The hex SHA-256 of a blob, read a piece at a time; reports how much is read. */
export async function blobSha256(blob: Blob, progress: Progress, signal: AbortSignal): Promise<string> {
  const hash = sha256.create();
  for (let at = 0; at < blob.size; at += HASH_PIECE) {
    if (signal.aborted) throw new TransportError('cancelled', 'Cancelled.');
    hash.update(new Uint8Array(await blob.slice(at, at + HASH_PIECE).arrayBuffer()));
    progress(Math.min(at + HASH_PIECE, blob.size), blob.size);
  }
  return bytesToHex(hash.digest());
}

interface Sent {
  status: number;
  offset: number | null;
  body: string;
}

/** One PATCH of the bytes from `offset` on; resolves with the host's answer, rejects when the link failed. */
function patch(path: string, blob: Blob, offset: number, progress: Progress, signal: AbortSignal): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.open('PATCH', path);
    xhr.setRequestHeader('Upload-Offset', String(offset));
    xhr.upload.onprogress = (event) => progress(offset + event.loaded, blob.size);
    xhr.onload = () => {
      signal.removeEventListener('abort', abort);
      const header = xhr.getResponseHeader('Upload-Offset');
      resolve({ status: xhr.status, offset: header === null ? null : Number(header), body: xhr.responseText });
    };
    xhr.onerror = () => reject(new TransportError('unreachable', 'The host could not be reached.'));
    xhr.onabort = () => reject(new TransportError('cancelled', 'Cancelled.'));
    xhr.send(blob.slice(offset));
  });
}

/** Where the host has the upload now, after a cut; null when it cannot say. */
async function hostOffset(path: string): Promise<number | null> {
  try {
    const response = await fetch(path, { method: 'HEAD' });
    const header = response.headers.get('Upload-Offset');
    return header === null ? null : Number(header);
  } catch {
    return null;
  }
}

function refusal(sent: Sent): TransportError {
  try {
    const parsed = JSON.parse(sent.body) as { error?: { kind: string; message: string } };
    if (parsed.error) return new TransportError(parsed.error.kind, parsed.error.message);
  } catch {
    // Not the host's JSON: said by status below.
  }
  return new TransportError('unreachable', `The host answered ${sent.status}.`);
}

const pause = (ms: number) => new Promise((resolve) => window.setTimeout(resolve, ms));

/**
 * Uploads `blob` as `name`: the host's `file:begin` (through `begin`) hands out a ticket, which already says how
 * much of the same bytes it has from an earlier try. Resolves with the file as the host keeps it.
 */
export async function uploadBlob(
  begin: (request: BeginUpload) => Promise<UploadTicket>,
  blob: Blob,
  name: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<FileInfo> {
  // Hashing shows as no bytes sent yet: it is quick next to the upload, and the bar then moves only forward.
  const hash = await blobSha256(blob, () => progress(0, blob.size), signal);
  const ticket = await begin({ name, size: blob.size, sha256: hash });
  let offset = ticket.offset;
  let failures = 0;
  for (;;) {
    progress(offset, blob.size);
    let sent: Sent;
    try {
      sent = await patch(ticket.path, blob, offset, progress, signal);
    } catch (error) {
      if (signal.aborted || ++failures >= ATTEMPTS) throw error;
      await pause(200 * 2 ** Math.min(failures, 5));
      offset = (await hostOffset(ticket.path)) ?? offset;
      continue;
    }
    if (sent.status === 201) {
      progress(blob.size, blob.size);
      return JSON.parse(sent.body) as FileInfo;
    }
    // The host took less than was sent, or is elsewhere: go on from where it is.
    if ((sent.status === 204 || sent.status === 409) && sent.offset !== null) {
      offset = sent.offset;
      continue;
    }
    throw refusal(sent);
  }
}
