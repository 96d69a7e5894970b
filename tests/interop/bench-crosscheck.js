// The benchmark's cross-check: a stock socket.io-client joins room "bench" on a Banter host (or the Node.js
// benchmark server) with Banter's handshake, counts the benchmark messages it hears per step, and reports the
// counts as JSON when its standard input closes. Usage: node bench-crosscheck.js http://127.0.0.1:PORT
'use strict';
const { io } = require('socket.io-client');

const url = process.argv[2];
if (!url || !/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(url)) {
  console.error('usage: node bench-crosscheck.js http://127.x.y.z:PORT (loopback only)');
  process.exit(2);
}

const socket = io(url, { transports: ['websocket'], reconnection: false, auth: { name: 'js-check', protocol: 1 } });
const steps = [];
const seen = new Set();
let duplicates = 0;
let outOfOrder = 0;
let lastSeq = null;

socket.on('message:new', (message) => {
  const marker = /^~B(\d+)\.(\d+)\.(\d+)~/.exec(message.text || '');
  if (!marker) return;
  const key = `${marker[1]}.${marker[2]}`;
  if (seen.has(key)) duplicates += 1;
  seen.add(key);
  if (typeof message.seq === 'number' && lastSeq !== null && message.seq !== lastSeq + 1) outOfOrder += 1;
  lastSeq = message.seq;
  const step = Number(marker[1]);
  while (steps.length <= step) steps.push(0);
  steps[step] += 1;
});

socket.on('connect_error', (error) => {
  console.error(`bench-crosscheck: ${error.message}`);
  process.exit(1);
});

socket.on('connect', () => {
  socket.emit('room:join', { room: 'bench' }, (answer) => {
    if (!answer || answer.error) {
      console.error(`bench-crosscheck: room:join refused: ${JSON.stringify(answer)}`);
      process.exit(1);
    }
    process.stdout.write('ready\n');
  });
});

process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify({ steps, duplicates, out_of_order: outOfOrder })}\n`);
  socket.close();
  process.exit(0);
});
