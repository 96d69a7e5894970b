import { describe, expect, it } from 'vitest';
import { offerSmaller, smallerName, smallerSize, SMALLER_SIDE } from './photos';

describe('photos offered smaller', () => {
  it('offers large photos only', () => {
    expect(offerSmaller({ name: 'IMG_2041.JPG', size: 2_400_000 })).toBe(true);
    expect(offerSmaller({ name: 'icon.png', size: 40_000 })).toBe(false);
    expect(offerSmaller({ name: 'scan.pdf', size: 9_000_000 })).toBe(false);
  });

  it('keeps the proportions, at most the smaller side, and never enlarges', () => {
    expect(smallerSize(4032, 3024)).toEqual({ width: SMALLER_SIDE, height: 1200 });
    expect(smallerSize(3024, 4032)).toEqual({ width: 1200, height: SMALLER_SIDE });
    expect(smallerSize(800, 600)).toEqual({ width: 800, height: 600 });
  });

  it('names the copy as a JPEG', () => {
    expect(smallerName('beach.PNG')).toBe('beach.jpg');
    expect(smallerName('IMG_2041.jpeg')).toBe('IMG_2041.jpg');
  });
});
