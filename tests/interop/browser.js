// Browser guests, end to end: Debian's chromium driven by playwright-core against a real `banter-cli serve`.
// Two browser guests (a desktop-sized one and a phone-sized one) and a `banter-cli join` user chat in the lobby
// and a room; a direct message; a reload keeps the history; the Socket.IO tutorial's page chats with Banter users;
// a page from another origin is refused.
// Usage: node browser.js http://127.0.0.1:PORT /path/to/banter-cli SCREENSHOT_DIR
// Prints "step NAME" as it goes and "browser ok" at the end; exits non-zero on the first failure.
const { spawn } = require('child_process');
const readline = require('readline');
const path = require('path');
const { WAIT_MS, launch, step, joinAs: joinAt, say, sees, run } = require('./browser-common');

const [url, cliPath, screenshots] = process.argv.slice(2);
const hostAddress = new URL(url).host;
const joinAs = (context, name, viewport) => joinAt(context, url, name, viewport);

// The tutorial's page, verbatim but for the list id, served on the host's origin by request interception.
const TUTORIAL_PAGE = `<!DOCTYPE html>
<html><head><title>Socket.IO chat</title></head>
<body>
  <ul id="messages"></ul>
  <form id="form" action=""><input id="input" autocomplete="off" /><button>Send</button></form>
  <script src="/socket.io/socket.io.js"></script>
  <script>
    var socket = io();
    var messages = document.getElementById('messages');
    var form = document.getElementById('form');
    var input = document.getElementById('input');
    form.addEventListener('submit', function(e) {
      e.preventDefault();
      if (input.value) { socket.emit('chat message', input.value); input.value = ''; }
    });
    socket.on('chat message', function(msg) {
      var item = document.createElement('li');
      item.textContent = msg;
      messages.appendChild(item);
    });
  </script>
</body></html>`;

// A page on another origin that tries to use the host's Socket.IO.
const FOREIGN_PAGE = (host) => `<!DOCTYPE html><html><body><p id="result">pending</p>
  <script src="/client.js"></script>
  <script>
    if (typeof io === 'undefined') { document.getElementById('result').textContent = 'no client script'; }
    var socket = io('http://${host}', { transports: ['websocket'], reconnection: false });
    socket.on('connect', function() { document.getElementById('result').textContent = 'connected'; });
    socket.on('connect_error', function() { document.getElementById('result').textContent = 'refused'; });
  </script></body></html>`;

/** The `banter-cli join` user, with its output lines. */
function startCli(name) {
  const child = spawn(cliPath, ['join', hostAddress, '--name', name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) waiter();
  });
  return {
    child,
    say: (line) => child.stdin.write(`${line}\n`),
    expectLine: (expected) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (lines.includes(expected)) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => reject(new Error(`the CLI never printed ${JSON.stringify(expected)}; it printed ${JSON.stringify(lines)}`)), WAIT_MS);
        waiters.push(check);
        check();
      }),
  };
}

async function main() {
  const browser = await launch();
  const cli = startCli('terminal');
  try {
    const ann = await joinAs(await browser.newContext(), 'Ann', { width: 1100, height: 720 });
    const benContext = await browser.newContext();
    const ben = await joinAs(benContext, 'Ben', { width: 390, height: 844 });
    step('joined');

    await say(ann, 'hello from ann');
    await sees(ben, 'hello from ann');
    await cli.expectLine('[lobby] Ann: hello from ann');
    cli.say('hi browsers');
    await sees(ann, 'hi browsers');
    await sees(ben, 'hi browsers');
    step('lobby');

    await ann.getByTestId('room-new-input').fill('web');
    await ann.getByTestId('room-new-submit').click();
    await ann.getByTestId('conversation-title').getByText('# web').waitFor();
    // Ben sees the room he is not in with who is in it and when it was last active.
    await ben.getByTestId('online-web').getByText('1 online').waitFor();
    await ben.getByTestId('join-web').getByText('active now').waitFor();
    await ben.screenshot({ path: path.join(screenshots, 'browser-other-rooms.png') });
    await ben.getByTestId('join-web').click();
    await ben.getByTestId('conversation-title').getByText('# web').waitFor();
    cli.say('/join web');
    await sees(ann, 'terminal joined');
    await say(ben, 'room message from ben');
    await sees(ann, 'room message from ben');
    await cli.expectLine('[web] Ben: room message from ben');
    step('room');

    await ann.getByTestId('member-Ben').click();
    await say(ann, 'a secret for ben');
    await ben.getByTestId('conversation-Ann').click();
    await sees(ben, 'a secret for ben');
    step('direct-message');

    await ben.reload();
    await ben.getByTestId('chat-screen').waitFor();
    await sees(ben, 'hello from ann');
    await sees(ben, 'hi browsers');
    // The room is rejoined too, with its history.
    await ben.getByTestId('conversation-web').click();
    await sees(ben, 'room message from ben');
    await ben.getByTestId('conversation-lobby').click();
    step('reload-keeps-history');

    await ben.screenshot({ path: path.join(screenshots, 'browser-phone.png') });
    await ann.getByTestId('conversation-lobby').click();
    await ann.screenshot({ path: path.join(screenshots, 'browser-desktop.png') });

    const tutorialContext = await browser.newContext();
    await tutorialContext.route(`${url}/tutorial.html`, (route) => route.fulfill({ contentType: 'text/html', body: TUTORIAL_PAGE }));
    const tutorial = await tutorialContext.newPage();
    await tutorial.goto(`${url}/tutorial.html`);
    await tutorial.locator('#input').fill('from the tutorial page');
    await tutorial.locator('#form button').click();
    await sees(ann, 'from the tutorial page');
    await say(ann, 'to the tutorial page');
    await tutorial.locator('#messages li', { hasText: 'Ann: to the tutorial page' }).waitFor({ timeout: WAIT_MS });
    step('tutorial-page');

    // localhost and 127.0.0.1 are different origins to a browser.
    const foreignOrigin = `http://localhost:${new URL(url).port}`;
    const foreignContext = await browser.newContext();
    await foreignContext.route(`${foreignOrigin}/evil.html`, (route) => route.fulfill({ contentType: 'text/html', body: FOREIGN_PAGE(hostAddress) }));
    // The other site carries its own copy of the Socket.IO client, as such a site would.
    const clientScript = await (await fetch(`${url}/socket.io/socket.io.js`)).text();
    await foreignContext.route(`${foreignOrigin}/client.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: clientScript }));
    const foreign = await foreignContext.newPage();
    await foreign.goto(`${foreignOrigin}/evil.html`);
    await foreign.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending', null, { timeout: WAIT_MS });
    const outcome = await foreign.locator('#result').textContent();
    if (outcome !== 'refused') throw new Error(`a page from ${foreignOrigin} got: ${outcome}`);
    step('foreign-origin-refused');
    console.log('browser ok');
  } finally {
    cli.child.kill();
    await browser.close();
  }
}

run(main, 'browser test');
