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

/** Every message of the open conversation, oldest first, as a reader sees them by scrolling back to its start: the
 *  page keeps only a window of a long conversation, so the rows are gathered window by window. Bounded: at most
 *  `limit` scrolls. Each entry is { seq, text, pending, deleted,
 *  edited, reactions }; the rows of each window must be in `seq` order. */
async function scrollBack(page, limit = 400) {
  const windowRows = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('[data-testid=message]')].map((row) => ({
        seq: Number(row.dataset.seq),
        text: row.querySelector('.message-text')?.textContent ?? '',
        pending: row.classList.contains('pending'),
        deleted: row.querySelector('[data-testid=tombstone]') !== null,
        edited: row.querySelector('[data-testid=edited]') !== null,
        reactions: [...row.querySelectorAll('[data-testid=reaction]')].map((reaction) => reaction.dataset.emoji),
      })),
    );
  const key = (row) => `${row.seq}:${row.text}`;
  let all = await windowRows();
  let still = 0;
  for (let scroll = 0; scroll < limit && still < 8; scroll += 1) {
    await page.getByTestId('messages').evaluate((element) => element.scrollTo(0, 0));
    await page.waitForTimeout(100);
    const rows = await windowRows();
    const confirmed = rows.filter((row) => !row.pending).map((row) => row.seq);
    const wrong = confirmed.findIndex((seq, index) => index > 0 && seq <= confirmed[index - 1]);
    if (wrong > 0) throw new Error(`rows out of seq order: …${confirmed.slice(Math.max(0, wrong - 5), wrong + 5)}…`);
    const overlap = rows.findIndex((row) => key(row) === key(all[0]));
    if (overlap < 0) throw new Error(`a window of rows does not meet the one after it (at ${key(all[0])})`);
    if (overlap === 0) {
      const older = await page.getByTestId('load-older').count();
      still = older ? 0 : still + 1;
    } else {
      still = 0;
      all = [...rows.slice(0, overlap), ...all];
    }
  }
  return all;
}

/** Scrolls the open conversation up until a message with this text is in the page (bounded). */
async function scrollUpTo(page, text, limit = 100) {
  const rows = page.getByTestId('message').filter({ hasText: text });
  for (let scroll = 0; scroll < limit && !(await rows.count()); scroll += 1) {
    await page.getByTestId('messages').evaluate((element) => element.scrollTo(0, 0));
    await page.waitForTimeout(100);
  }
}

/** Scrolls the open conversation down to its newest message, as a reader does before going on (bounded). */
async function scrollToEnd(page, limit = 100) {
  let last = -1;
  for (let scroll = 0; scroll < limit; scroll += 1) {
    const top = await page.getByTestId('messages').evaluate((element) => {
      element.scrollTo(0, element.scrollHeight);
      return element.scrollTop;
    });
    await page.waitForTimeout(100);
    if (top === last) return;
    last = top;
  }
}

/** The accessibility rules (axe-core, pinned by package-lock) a page breaks at `serious` or `critical` impact, as
 *  readable lines; empty when none. The script goes in through the DevTools protocol, which the page's CSP (no
 *  scripts but its own) does not cover. */
async function seriousAccessibilityViolations(page) {
  const source = require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations);
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary}`).slice(0, 3).join('; ')})`);
}

module.exports = { WAIT_MS, launch, step, joinAs, say, sees, scrollBack, scrollUpTo, scrollToEnd, seriousAccessibilityViolations, stdinCommands, run };
