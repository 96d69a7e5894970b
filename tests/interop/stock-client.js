// Stock socket.io-client against a Banter host: the tutorial's events, then Banter's own events, asserted step by
// step. The Rust test on the other side of the host plays "rusty" and answers at the agreed points.
// Usage: node stock-client.js URL RUSTY_SOCKET_ID. Prints "step NAME" as it goes and "interop ok" at the end.
const { io } = require('socket.io-client');

const url = process.argv[2];
const rustySocketId = process.argv[3];
const STEP_TIMEOUT_MS = 10000;

function connect(auth, transports = ['websocket']) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { auth, transports, reconnection: false, forceNew: true });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function next(socket, event, predicate = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), STEP_TIMEOUT_MS);
    const listener = (...args) => {
      if (predicate(...args)) {
        clearTimeout(timer);
        socket.off(event, listener);
        resolve(args);
      }
    };
    socket.on(event, listener);
  });
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  // The tutorial: `chat message` to everyone, sender included, from pages that send no auth at all; one page
  // over WebSocket, the other over HTTP long-polling only.
  const pageA = await connect(undefined);
  const pageB = await connect(undefined, ['polling']);
  expect(pageB.io.engine.transport.name === 'polling', 'page B uses long-polling');
  const echoA = next(pageA, 'chat message', (msg) => msg === 'plain hello');
  const echoB = next(pageB, 'chat message', (msg) => msg === 'plain hello');
  pageA.emit('chat message', 'plain hello');
  await Promise.all([echoA, echoB]);

  // The Rust user answers the page in the lobby; the page sees it as a plain string.
  const lobbyAnswer = next(pageB, 'chat message', (msg) => msg === 'rusty: rust hello');
  console.log('step chat-message');
  await lobbyAnswer;
  console.log('step lobby-from-banter');

  // Banter's protocol from a stock client: a name in the handshake, acks with {data} or {error}.
  const carol = await connect({ name: 'carol', protocol: 1 });
  const [welcome] = await next(carol, 'session:welcome');
  expect(welcome.user.name === 'carol', `welcome names carol: ${JSON.stringify(welcome)}`);
  const taken = await connect({ name: 'Carol', protocol: 1 }).then(() => null, (error) => error);
  expect(taken && taken.message.startsWith('name_taken:'), `a taken name is refused: ${taken && taken.message}`);

  // A stock client buffers what it emits before it is connected and sends it right after the CONNECT packet; the
  // host admits the socket, binds its new name and registers its handlers before answering CONNECT, so a request
  // sent that early is answered like any other.
  const eager = io(url, { auth: { name: 'eager', userKey: 'eager-key-0001', protocol: 2 }, transports: ['websocket'], reconnection: false, forceNew: true });
  const early = await eager.timeout(STEP_TIMEOUT_MS).emitWithAck('room:join', { room: 'early' });
  expect(early.data && early.data.room === 'early', `a request emitted before connect is answered: ${JSON.stringify(early)}`);
  eager.close();

  const joined = await carol.timeout(STEP_TIMEOUT_MS).emitWithAck('room:join', { room: 'js' });
  expect(joined.data && joined.data.room === 'js', `room:join answers data: ${JSON.stringify(joined)}`);
  const refused = await carol.timeout(STEP_TIMEOUT_MS).emitWithAck('room:leave', { room: 'lobby' });
  expect(refused.error && refused.error.kind === 'forbidden', `errors have a kind: ${JSON.stringify(refused)}`);
  const sent = await carol.timeout(STEP_TIMEOUT_MS).emitWithAck('message:send', { room: 'js', text: 'js room hello', clientId: 'js-1' });
  expect(sent.data && sent.data.seq >= 1 && sent.data.from === 'carol', `message:send answers the message: ${JSON.stringify(sent)}`);
  // The Rust user answers in the room and by direct message; listen for both before saying so.
  const roomAnswer = next(carol, 'message:new', (message) => message.room === 'js' && message.text === 'rust to js room');
  const directAnswer = next(carol, 'dm:new', (dm) => dm.from === 'rusty' && dm.text === 'dm to carol');
  console.log('step rooms');
  await Promise.all([roomAnswer, directAnswer]);
  console.log('step from-banter');

  // The Rooms page's private message, to the Rust user's socket id.
  carol.emit('private message', rustySocketId, 'psst from js');
  // The host handles a socket's packets in order: once the ping is answered, the private message was handled.
  await carol.timeout(STEP_TIMEOUT_MS).emitWithAck('session:ping', {});
  console.log('step private-message');
  pageA.close();
  pageB.close();
  carol.close();
  console.log('interop ok');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`interop failed: ${error.message}`);
    process.exit(1);
  },
);
