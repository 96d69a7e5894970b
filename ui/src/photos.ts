// Photos offered smaller for chat: a phone's 4000 px, several-MiB picture is drawn again at most 1600 px on its
// longest side as a JPEG of a few hundred KiB, which loads at once for everyone; the original can be sent as it
// is instead, as a file.
import type { ChosenFile } from './transport-types';

/** Photos above this size are offered smaller. */
export const PHOTO_OFFER_BYTES = 1024 * 1024;
/** The longest side of the smaller copy. */
export const SMALLER_SIDE = 1600;
const SMALLER_QUALITY = 0.85;

const PHOTO_NAME = /\.(jpe?g|png|webp)$/i;

/** Whether a file is a photo worth offering smaller: a JPEG, PNG or WebP by its name, over the threshold. */
export function offerSmaller(file: ChosenFile): boolean {
  return PHOTO_NAME.test(file.name) && file.size > PHOTO_OFFER_BYTES;
}

/** The smaller copy's name: the photo's, as a JPEG. */
export function smallerName(name: string): string {
  return `${name.replace(PHOTO_NAME, '')}.jpg`;
}

/** The size a photo of `width`×`height` is drawn at: at most SMALLER_SIDE on its longest side, never larger. */
export function smallerSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, SMALLER_SIDE / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Draws the photo at `source` (a URL the page may read) smaller, as a JPEG. */
export async function drawSmaller(source: string): Promise<Blob> {
  const image = new Image();
  image.crossOrigin = 'anonymous';
  image.src = source;
  await image.decode();
  const { width, height } = smallerSize(image.naturalWidth, image.naturalHeight);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This window cannot draw a smaller copy; send the original.');
  context.drawImage(image, 0, 0, width, height);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('The smaller copy could not be made; send the original.'))),
      'image/jpeg',
      SMALLER_QUALITY,
    ),
  );
}
