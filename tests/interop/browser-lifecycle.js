// A browser guest through a host's life (crates/banter-cli/tests/browser.rs drives the host):
//   1. It joins a lobby of 150 messages, is shown the newest page, and scrolls up to the first, in order.
//   2. Of two images, the one the host evicted past its quota says so; the other is shown.
//   3. The host stops cleanly: the banner says the host ended the chat, and presence shows as unknown.
//   4. A host with a wiped data folder comes back at the same address: the page says this is not the host it was
//      talking to, drops the old conversation, and shows what is posted there now.
// Usage: node browser-lifecycle.js URL. Reads "stopped" and "restarted" on stdin; prints "step NAME" lines, then
// "lifecycle ok".
const { WAIT_MS, launch, step, joinAs, sees, stdinCommands, run } = require('./browser-common');

const [url] = process.argv.slice(2);
const OLD = 150;

const command = stdinCommands();

function oldShown(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=message] .message-text')]
      .map((element) => element.textContent)
      .filter((text) => /^old \d+$/.test(text))
      .map((text) => Number(text.slice(4))),
  );
}

async function main() {
  const browser = await launch();
  try {
    const page = await joinAs(await browser.newContext(), url, 'Guest', { width: 1000, height: 700 });
    await sees(page, `old ${OLD}`);
    const first = await oldShown(page);
    if (first.length >= OLD || first[0] === 1) throw new Error(`the whole history came at once (${first.length} messages), not a page`);
    // Scrolling to the top asks for the page before; bounded, a page at a time.
    for (let attempt = 0; attempt < 40 && !(await oldShown(page)).includes(1); attempt += 1) {
      await page.getByTestId('messages').evaluate((element) => element.scrollTo(0, 0));
      await page.waitForTimeout(250);
    }
    const all = await oldShown(page);
    const expected = Array.from({ length: OLD }, (_, index) => index + 1);
    if (JSON.stringify(all) !== JSON.stringify(expected)) throw new Error(`scrolled back to ${all.length} messages, not 1…${OLD} in order: ${all.slice(0, 12)}…`);
    step('paged');

    await page.getByTestId('messages').evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await page.getByTestId('attachment-placeholder').getByText('no longer available', { exact: false }).waitFor({ timeout: WAIT_MS });
    await page.locator('[data-testid=messages] img.attachment').first().waitFor({ timeout: WAIT_MS });
    const images = await page.locator('[data-testid=messages] img.attachment').count();
    if (images !== 1) throw new Error(`${images} images shown, expected the one the host still has`);
    step('evicted');

    await command('stopped');
    await page.getByTestId('banner').getByText('The host ended the chat', { exact: false }).waitFor({ timeout: WAIT_MS });
    await page.getByTestId('presence-unknown').waitFor({ timeout: WAIT_MS });
    step('ended');

    await command('restarted');
    await page.getByText('This is not the host you were talking to before', { exact: false }).waitFor({ timeout: 30_000 });
    await sees(page, 'after the reset');
    const left = await oldShown(page);
    if (left.length !== 0) throw new Error(`the old conversation is still shown: ${left.slice(0, 5)}…`);
    await page.getByTestId('presence-unknown').waitFor({ state: 'detached', timeout: WAIT_MS });
    step('reset');
    console.log('lifecycle ok');
  } finally {
    await browser.close();
  }
}

run(main, 'lifecycle test');
