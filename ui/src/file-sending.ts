// Sending files from the UI: to the open conversation, each as a message of its own, refused up front past the
// host's limit; large photos wait for the user to say whether to send them smaller (photos.ts) or as they are.
import type { SendTo } from './bindings';
import { formatBytes } from './format';
import { drawSmaller, offerSmaller, smallerName } from './photos';
import type { ChatState } from './store';
import type { ChosenFile, Transport } from './transport-types';

export class FileSending {
  constructor(
    private readonly transport: Transport,
    private readonly chat: () => ChatState | null,
    private readonly render: () => void,
  ) {}

  /** Sends files to the open conversation, each as a message of its own, each refused up front when it is larger
   *  than the host takes. */
  async send(files: ChosenFile[]): Promise<void> {
    const state = this.chat();
    const current = state?.conversations.get(state.current);
    if (!state || !current || files.length === 0) return;
    if (!state.rich) throw new Error('This server takes text only: files need a Banter host.');
    const to: SendTo =
      current.kind === 'room' ? { kind: 'room', room: current.name } : { kind: 'dm', with: current.name };
    const most = state.limits.maxFileBytes;
    const tooLarge = files.filter((file) => most > 0 && file.size > most);
    const photos = files.filter((file) => !tooLarge.includes(file) && offerSmaller(file));
    for (const file of files) {
      if (!tooLarge.includes(file) && !photos.includes(file)) await this.transport.sendFile(to, file, '');
    }
    if (photos.length > 0) {
      // Asked above the composer: smaller copies for chat, or the originals.
      state.photoOffer = { to, files: [...(state.photoOffer?.files ?? []), ...photos] };
      this.render();
    }
    if (tooLarge.length > 0) {
      const names = tooLarge.map((file) => `${file.name} (${formatBytes(file.size)})`).join(', ');
      throw new Error(`This host takes files up to ${formatBytes(most)}: ${names} not sent.`);
    }
  }

  /** Sends the photos waiting for an answer: smaller copies (drawn here), or the originals as they are. */
  async answerPhotoOffer(smaller: boolean): Promise<void> {
    const state = this.chat();
    const offer = state?.photoOffer;
    if (!state || !offer) return;
    state.photoOffer = null;
    this.render();
    for (const file of offer.files) {
      if (!smaller) {
        await this.transport.sendFile(offer.to, file, '');
        continue;
      }
      const source = this.transport.chosenSource(file);
      try {
        const copy = await drawSmaller(source);
        await this.transport.sendFile(offer.to, await this.transport.fileFromBlob(copy, smallerName(file.name)), '');
      } finally {
        if (source.startsWith('blob:')) URL.revokeObjectURL(source);
      }
    }
  }

  /** Sends files the page holds: pasted, or dropped on a browser's page. */
  async sendBlobs(files: File[]): Promise<void> {
    await this.send(
      await Promise.all(files.map((file) => this.transport.fileFromBlob(file, file.name || pastedName(file)))),
    );
  }
}

/** A name for pasted bytes that came without one (a screenshot): the time, and the type's usual extension. */
function pastedName(blob: Blob): string {
  const extension = blob.type.startsWith('image/') ? blob.type.slice(6).replace('jpeg', 'jpg') : 'bin';
  const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '.');
  return `Pasted ${stamp}.${extension}`;
}
