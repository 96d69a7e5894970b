// Files between two browser guests. Ann drops a 6 MiB document on the conversation; her first PATCH reaches the
// host cut short (a third of its bytes, as a dropped link leaves it), and the upload goes on from the host's offset
// by itself. Bert sees the card and downloads the file, whose SHA-256 is checked here. Ann then sends a photo with
// the picker (+), which both see as an image, and a file with a path for a name, which keeps only its last part.
// Finally a file in a direct message. Usage: node browser-files.js URL SCREENSHOTS PHOTO BIG (a 320 px wide PNG; a 2400 px one, over 1 MiB). Prints "files ok" at the end.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { launch, step, joinAs, say, sees, run, WAIT_MS } = require('./browser-common');

const [url, screenshots, photo, bigPhoto] = process.argv.slice(2);
const viewport = { width: 1100, height: 720 };
const SIZE = 6 * 1024 * 1024;

/** Bytes made in the page from a seed, and their SHA-256 made here the same way. */
function generated(seed) {
  const bytes = Buffer.alloc(SIZE);
  let state = seed;
  for (let i = 0; i < SIZE; i += 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Drops a file made in the page on the conversation, as a drag from the desktop does. */
async function dropFile(page, name, seed, size) {
  const transfer = await page.evaluateHandle(
    ({ name, seed, size }) => {
      const bytes = new Uint8Array(size);
      let state = seed;
      for (let i = 0; i < size; i += 1) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        bytes[i] = state >>> 24;
      }
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      return data;
    },
    { name, seed, size },
  );
  await page.dispatchEvent('[data-testid=messages]', 'dragenter', { dataTransfer: transfer });
  await page.getByTestId('drop-zone').getByText('Drop to send to', { exact: false }).waitFor({ timeout: WAIT_MS });
  await page.dispatchEvent('[data-testid=messages]', 'drop', { dataTransfer: transfer });
}

async function main() {
  const browser = await launch();
  const ann = await joinAs(await browser.newContext(), url, 'Ann', viewport);
  const bert = await joinAs(await browser.newContext({ acceptDownloads: true }), url, 'Bert', viewport);

  // The first PATCH reaches the host with a third of its bytes: the rest must follow from the host's offset.
  // Later, one PATCH is held (`hold`) until the upload is cancelled.
  let cut = false;
  let hold = null;
  await ann.route('**/uploads/**', async (route) => {
    const request = route.request();
    if (request.method() === 'PATCH' && hold) {
      const held = hold;
      hold = null;
      await held;
      await route.abort().catch(() => {});
    } else if (request.method() === 'PATCH' && !cut) {
      cut = true;
      const body = request.postDataBuffer();
      await route.continue({ postData: body.subarray(0, Math.floor(body.length / 3)) });
    } else {
      await route.continue();
    }
  });
  const expected = crypto.createHash('sha256').update(generated(42)).digest('hex');
  await dropFile(ann, 'plans.bin', 42, SIZE);
  await ann.getByTestId('transfer-line').getByText('Sent', { exact: false }).waitFor({ timeout: WAIT_MS });
  if (!cut) throw new Error('the first PATCH was never cut');
  step('dropped');

  await bert.getByTestId('file-name').getByText('plans.bin').waitFor({ timeout: WAIT_MS });
  const meta = await bert.getByTestId('file-meta').first().textContent();
  if (meta !== '6.0 MiB · BIN') throw new Error(`the card says ${meta}`);
  const [download] = await Promise.all([bert.waitForEvent('download'), bert.getByTestId('file-save').first().click()]);
  if (download.suggestedFilename() !== 'plans.bin') throw new Error(`saved as ${download.suggestedFilename()}`);
  const saved = fs.readFileSync(await download.path());
  const got = crypto.createHash('sha256').update(saved).digest('hex');
  if (got !== expected) throw new Error(`downloaded ${saved.length} bytes with SHA-256 ${got}, not ${expected}`);
  step('downloaded');

  // The picker: a photo, shown inline to both; and a name that is a path, kept as its last part only.
  // Enough lines that the conversation scrolls, so that the photo's late growth has something to push.
  for (let line = 1; line <= 20; line += 1) await say(ann, `line ${line}`);
  await sees(bert, 'line 20');
  const [chooser] = await Promise.all([ann.waitForEvent('filechooser'), ann.getByTestId('attach').click()]);
  await chooser.setFiles(photo);
  for (const page of [ann, bert]) {
    await page.waitForFunction(
      () => {
        const image = document.querySelector('[data-testid=file-preview]');
        return image !== null && image.complete && image.naturalWidth === 320;
      },
      null,
      { timeout: WAIT_MS },
    );
  }
  // The photo grew its row once it loaded: a reader who was at the newest messages still is.
  await bert.waitForFunction(
    () => {
      const list = document.querySelector('[data-testid=messages]');
      return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    },
    null,
    { timeout: WAIT_MS },
  );
  step('photo');
  // A large photo is offered smaller: the copy Bert gets is a JPEG at most 1600 px wide.
  const [again] = await Promise.all([ann.waitForEvent('filechooser'), ann.getByTestId('attach').click()]);
  await again.setFiles(bigPhoto);
  await ann.getByTestId('photo-offer').getByText('Send it smaller', { exact: false }).waitFor({ timeout: WAIT_MS });
  await ann.screenshot({ path: path.join(screenshots, 'photo-offer.png') });
  await ann.getByTestId('photo-smaller').click();
  await bert.getByTestId('file-name').getByText('big.jpg').waitFor({ timeout: WAIT_MS });
  const width = await bert.waitForFunction(
    () => {
      const images = [...document.querySelectorAll('[data-testid=file-preview]')];
      const last = images[images.length - 1];
      return last && last.complete && last.naturalWidth > 1 ? last.naturalWidth : false;
    },
    null,
    { timeout: WAIT_MS },
  );
  if ((await width.jsonValue()) !== 1600) throw new Error(`the smaller photo is ${await width.jsonValue()} px wide`);
  step('photo-smaller');
  await dropFile(ann, '../../etc/passwd', 7, 64);
  await bert.getByTestId('file-name').getByText('passwd', { exact: true }).waitFor({ timeout: WAIT_MS });
  const names = await bert.getByTestId('file-name').allTextContents();
  if (names.some((name) => name.includes('/'))) throw new Error(`a path reached a name: ${names}`);
  step('path-name');
  // A paste of bytes without a name (a screenshot) is sent under the time it was pasted.
  await ann.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(100).fill(9)], '', { type: 'image/png' }));
    const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
    document.querySelector('[data-testid=composer]').dispatchEvent(paste);
  });
  await bert.getByTestId('file-name').getByText(/^Pasted \d{4}-\d\d-\d\d .*\.png$/).waitFor({ timeout: WAIT_MS });
  step('pasted');
  // Cancel while the bytes are on their way, then Retry: the upload starts again and arrives.
  let release;
  hold = new Promise((resolve) => (release = resolve));
  await dropFile(ann, 'held.bin', 11, 300000);
  const row = ann.getByTestId('transfer').filter({ hasText: 'held.bin' });
  await row.getByTestId('transfer-cancel').click();
  await row.getByTestId('transfer-line').getByText('Cancelled at', { exact: false }).waitFor({ timeout: WAIT_MS });
  release();
  await row.getByTestId('transfer-retry').click();
  await row.getByTestId('transfer-line').getByText('Sent', { exact: false }).waitFor({ timeout: WAIT_MS });
  await bert.getByTestId('file-name').getByText('held.bin').waitFor({ timeout: WAIT_MS });
  step('cancel-retry');
  await ann.screenshot({ path: path.join(screenshots, 'files-browser.png') });

  // A direct message carries a file as a room message does.
  await ann.getByTestId('member-Bert').click();
  await ann.getByTestId('conversation-title').getByText('Bert').waitFor({ timeout: WAIT_MS });
  await dropFile(ann, 'for-bert.txt', 9, 1000);
  await bert.getByTestId('conversation-Ann').click();
  await bert.getByTestId('file-name').getByText('for-bert.txt').waitFor({ timeout: WAIT_MS });
  step('direct');
  await browser.close();
  console.log('files ok');
}

run(main, 'browser-files');
