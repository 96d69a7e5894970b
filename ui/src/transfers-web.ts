// A browser guest's transfers: the picker (a file input), and uploads that report as the desktop app's do (the
// `transfer` event), with cancel and retry. A retry within the page's life goes on from what the host kept.
// Downloads are the browser's own (its download bar shows progress and resumes), so only uploads are tracked.
import type { BeginUpload, FileInfo, SendTo, TransferView, UiEvent, UploadTicket } from './bindings';
import { asTransportError, type ChosenFile } from './transport-types';
import { uploadBlob } from './upload-web';

/** Progress is told at most this often, and at the end. */
const PROGRESS_EVERY_MS = 150;

interface Job {
  blob: Blob;
  to: SendTo;
  text: string;
  view: TransferView;
  controller: AbortController | null;
}

export interface WebTransfers {
  send(to: SendTo, file: ChosenFile, text: string): string;
  cancel(id: string): void;
  retry(id: string): void;
}

/**
 * Uploads through `begin` (the host's `file:begin`), posts each file with `post` once uploaded, and tells every
 * change through `emit`.
 */
export function webTransfers(
  begin: (request: BeginUpload) => Promise<UploadTicket>,
  post: (to: SendTo, text: string, file: FileInfo) => Promise<unknown>,
  emit: (event: UiEvent) => void,
): WebTransfers {
  const jobs = new Map<string, Job>();
  let next = 1;
  const tell = (job: Job) => emit({ type: 'transfer', transfer: { ...job.view } });

  async function run(job: Job): Promise<void> {
    const controller = new AbortController();
    job.controller = controller;
    Object.assign(job.view, { state: 'running', error: null, done: 0 });
    tell(job);
    let last = 0;
    const progress = (done: number, total: number) => {
      const now = Date.now();
      if (done !== total && now - last < PROGRESS_EVERY_MS) return;
      last = now;
      job.view.done = done;
      job.view.total = total;
      tell(job);
    };
    try {
      const file = await uploadBlob(begin, job.blob, job.view.name, progress, controller.signal);
      await post(job.to, job.text, file);
      Object.assign(job.view, { state: 'done', done: job.view.total });
    } catch (error) {
      if (controller.signal.aborted) return;
      const failure = asTransportError(error);
      Object.assign(job.view, { state: 'failed', error: `${job.view.name} was not sent: ${failure.message}` });
    }
    if (job.controller === controller) tell(job);
  }

  return {
    send: (to, file, text) => {
      if (!file.blob) throw new Error('A browser sends only files it holds.');
      const id = `t${next++}`;
      const view: TransferView = {
        id,
        direction: 'upload',
        name: file.name,
        done: 0,
        total: file.size,
        state: 'running',
        error: null,
        to,
        fileId: null,
        savedTo: null,
      };
      const job: Job = { blob: file.blob, to, text, view, controller: null };
      jobs.set(id, job);
      void run(job);
      return id;
    },
    cancel: (id) => {
      const job = jobs.get(id);
      if (!job) return;
      job.controller?.abort();
      job.view.state = 'cancelled';
      tell(job);
    },
    retry: (id) => {
      const job = jobs.get(id);
      if (!job) return;
      job.controller?.abort();
      void run(job);
    },
  };
}

/** Opens the browser's file picker; resolves with the files chosen (none when it was closed). */
export function pickWithInput(): Promise<ChosenFile[]> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.addEventListener('change', () => resolve([...(input.files ?? [])].map(chosenBlob)));
    input.addEventListener('cancel', () => resolve([]));
    input.click();
  });
}

export function chosenBlob(file: File): ChosenFile {
  return { name: file.name, size: file.size, blob: file };
}

/** Saves a file the browser's way: its download, which shows progress and can be resumed there. */
export function downloadWithLink(file: FileInfo): void {
  const link = document.createElement('a');
  link.href = `/files/${encodeURIComponent(file.id)}`;
  link.download = file.name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}
