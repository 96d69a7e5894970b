// A browser guest through a connection the Rust test cuts and restores (crates/banter-cli/tests/browser.rs): the
// web transport's side of the reconnect contract that the engine's client keeps too.
//   1. A burst sent without waiting is kept in the order it was typed.
//   2. While the connection is cut, the guest writes 20 messages and the others post 1,000.
//   3. Once it is back, the page shows all 1,000, once each, in order (scrolling back through them: the page keeps a
//      window of 200 rows), and its own 20 are sent, in order.
// Usage: node browser-catchup.js URL. Reads "cut" and "restored" on stdin; prints "step NAME" lines, then
// "catchup ok".
const { WAIT_MS, launch, step, joinAs, say, scrollBack, stdinCommands, run } = require('./browser-common');

const [url] = process.argv.slice(2);
const BULK = 1000;
const OFFLINE = 20;

const command = stdinCommands();

async function main() {
  const browser = await launch();
  try {
    const page = await joinAs(await browser.newContext(), url, 'Guest', { width: 1000, height: 700 });
    for (let n = 1; n <= 5; n += 1) await say(page, `online ${n}`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=message].pending').length === 0, null, { timeout: WAIT_MS });
    step('online');

    await command('cut');
    await page.getByTestId('banner').getByText('Connection lost', { exact: false }).waitFor({ timeout: WAIT_MS });
    for (let n = 1; n <= OFFLINE; n += 1) await say(page, `offline ${n}`);
    step('typed');

    await command('restored');
    await page.waitForFunction(
      () => {
        const texts = [...document.querySelectorAll('[data-testid=message] .message-text')].map((element) => element.textContent);
        return texts.includes('bulk 1000') && texts.includes('offline 20') && document.querySelectorAll('[data-testid=message].pending').length === 0;
      },
      null,
      { timeout: 60_000, polling: 250 },
    );
    // Over a thousand messages, but only a window of them in the page.
    const inPage = await page.locator('[data-testid=message]').count();
    if (inPage > 200) throw new Error(`${inPage} message rows in the page: the list keeps a window of 200`);
    const rows = await scrollBack(page);
    const texts = rows.map((row) => row.text);
    const pending = rows.filter((row) => row.pending).length;
    const bulk = texts.filter((text) => text.startsWith('bulk ')).map((text) => Number(text.slice(5)));
    const expected = Array.from({ length: BULK }, (_, index) => index + 1);
    if (JSON.stringify(bulk) !== JSON.stringify(expected)) throw new Error(`the page shows the 1,000 out of order or twice: ${bulk.slice(0, 20)}…`);
    const own = texts.filter((text) => /^(online|offline) /.test(text));
    const wanted = [...Array.from({ length: 5 }, (_, i) => `online ${i + 1}`), ...Array.from({ length: OFFLINE }, (_, i) => `offline ${i + 1}`)];
    if (JSON.stringify(own) !== JSON.stringify(wanted)) throw new Error(`the guest's own messages: ${JSON.stringify(own)}`);
    if (pending !== 0) throw new Error(`${pending} messages still sending`);
    step('caught-up');
    console.log('catchup ok');
  } finally {
    await browser.close();
  }
}

run(main, 'catch-up test');
