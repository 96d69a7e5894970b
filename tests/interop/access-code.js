// Stock socket.io-client against a Banter host that requires an access code: without it, and with a wrong one,
// the connection is refused with `forbidden`; with the code in `auth.accessCode` it is admitted.
// Usage: node access-code.js URL CODE. Prints "access ok" at the end.
const { io } = require('socket.io-client');

const [url, code] = process.argv.slice(2);

function attempt(auth) {
  return new Promise((resolve) => {
    const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10000 });
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(error.message);
    });
  });
}

async function main() {
  const missing = await attempt({ name: 'stock', userKey: 'stock-access-key', protocol: 2 });
  if (!missing.startsWith('forbidden:')) throw new Error(`without a code: ${missing}`);
  const wrong = await attempt({ name: 'stock', userKey: 'stock-access-key', protocol: 2, accessCode: 'nope-nope' });
  if (!wrong.startsWith('forbidden:')) throw new Error(`with a wrong code: ${wrong}`);
  const right = await attempt({ name: 'stock', userKey: 'stock-access-key', protocol: 2, accessCode: code });
  if (right !== 'connected') throw new Error(`with the code: ${right}`);
  console.log('access ok');
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
