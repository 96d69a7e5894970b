// A browser guest of a host that requires an access code. Opened without the code, the join form says so; opened
// from the guest URL (the one the QR code carries, with `#code=`), the code is filled in and the guest is in
// without typing it. Usage: node browser-code.js URL CODE. Prints "code ok" at the end.
const { launch, step, joinAs, sees, say, run, WAIT_MS } = require('./browser-common');

const [url, code] = process.argv.slice(2);
const viewport = { width: 1000, height: 700 };

async function main() {
  const browser = await launch();
  const context = await browser.newContext();
  const bare = await context.newPage();
  await bare.setViewportSize(viewport);
  await bare.goto(url);
  await bare.getByTestId('join-name').fill('Nocode');
  await bare.getByTestId('join-submit').click();
  await bare.getByTestId('join-error').getByText('needs an access code', { exact: false }).waitFor({ timeout: WAIT_MS });
  step('refused-without');
  await bare.getByTestId('join-code').fill('WRONG-CODE');
  await bare.getByTestId('join-submit').click();
  await bare.getByTestId('join-error').getByText('wrong', { exact: false }).waitFor({ timeout: WAIT_MS });
  step('refused-wrong');
  await bare.close();

  // A separate browser session: the other's wrong guesses are its own, and this one comes from the link.
  const linked = await browser.newContext();
  const page = await joinAs(linked, `${url}/#code=${encodeURIComponent(code)}`, 'Linked', viewport);
  step('joined-from-link');
  await say(page, 'in by the link');
  await sees(page, 'in by the link');
  await browser.close();
  console.log('code ok');
}

run(main, 'browser-code');
