// What the browser tests share: Debian's chromium as this machine allows it, a guest's usual gestures, and the
// commands the Rust side sends on stdin.
const readline = require('readline');
const { chromium } = require('playwright-core');

const WAIT_MS = 15000;

function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function step(name) {
  console.log(`step ${name}`);
}

async function joinAs(context, url, name, viewport) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(url);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await page.getByTestId('chat-screen').waitFor();
  return page;
}

async function say(page, text) {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

async function sees(page, text) {
  await page.getByTestId('messages').getByText(text, { exact: false }).first().waitFor({ timeout: WAIT_MS });
}

/** The lines the Rust test writes on stdin, one at a time: `await command('cut')` waits for the next line and fails
 *  unless it is `cut`. */
function stdinCommands() {
  const lines = [];
  const waiting = [];
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  return (expected) => new Promise((resolve, reject) => {
    const take = (line) => (line === expected ? resolve() : reject(new Error(`expected ${expected}, got ${line}`)));
    if (lines.length > 0) take(lines.shift());
    else waiting.push(take);
  });
}

/** Runs a test's `main`, exiting 0 on success and 1 with the error otherwise. */
function run(main, label) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(`${label} failed: ${error.stack || error}`);
      process.exit(1);
    },
  );
}

module.exports = { WAIT_MS, launch, step, joinAs, say, sees, stdinCommands, run };
