// A stock socket.io-client writer for the crash test (crates/banter-cli/tests/crash.rs): it sends COUNT messages,
// in order, across rooms and direct messages, following the contract of docs/PROTOCOL.md with nothing but the
// official client: after every connect it rejoins its rooms, then resends what is unacknowledged, one message at a
// time, with the same client id. It prints "ready" once first in its rooms, one JSON line per acknowledged message,
// then "done".
// Usage: node crash-writer.js URL NAME USER_KEY COUNT ROOMS (comma-separated) DM_PEERS (comma-separated) PACE_MS
const { io } = require('socket.io-client');

const [url, name, userKey, countText, roomsText, peersText, paceText] = process.argv.slice(2);
const count = Number(countText);
const rooms = roomsText.split(',');
const peers = peersText.split(',');
// A pause between messages, so that the test's kills fall while messages are on their way.
const pace = Number(paceText);
const ACK_TIMEOUT_MS = 3000;
// Bounded: the test gives up long before this.
const DEADLINE = Date.now() + 180_000;

const socket = io(url, { auth: { name, userKey, protocol: 2 }, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 });
let readyResolve;
let announced = false;
let ready = new Promise((resolve) => (readyResolve = resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

socket.on('disconnect', () => {
  ready = new Promise((resolve) => (readyResolve = resolve));
  // Sent again, in order, once the rooms are rejoined; never replayed by the client before that.
  socket.sendBuffer = [];
});
socket.on('session:welcome', async () => {
  for (const room of rooms) {
    for (;;) {
      try {
        const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:join', { room });
        if (ack.data) break;
        await sleep(200);
      } catch {
        if (!socket.connected) return;
      }
    }
  }
  if (!announced) {
    announced = true;
    console.log('ready');
  }
  readyResolve();
});
socket.on('connect_error', (error) => process.stderr.write(`connect error: ${error.message}\n`));

function message(index) {
  const clientId = `${name}-${index}`;
  if (index % 5 === 4) {
    return { event: 'dm:send', body: { to: peers[index % peers.length], text: `${name} ${index}`, clientId } };
  }
  return { event: 'message:send', body: { room: rooms[index % rooms.length], text: `${name} ${index}`, clientId } };
}

async function main() {
  for (let index = 0; index < count; index += 1) {
    const { event, body } = message(index);
    for (;;) {
      if (Date.now() > DEADLINE) throw new Error('deadline passed');
      await ready;
      let ack;
      try {
        ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, body);
      } catch {
        continue;
      }
      if (ack.error && ack.error.kind === 'rate_limited') {
        await sleep(200);
        continue;
      }
      if (ack.error) throw new Error(`refused ${body.clientId}: ${JSON.stringify(ack.error)}`);
      console.log(JSON.stringify({ acked: body.clientId, seq: ack.data.seq }));
      break;
    }
    await sleep(pace);
  }
  console.log('done');
  socket.close();
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
