// What the tutorial's page does, from a terminal: each line on stdin is emitted as `chat message`, and each
// `chat message` received is printed as "chat message: TEXT". Prints "connected ID" once connected.
const { io } = require('socket.io-client');
const readline = require('readline');

const socket = io(process.argv[2], { transports: ['websocket'], reconnection: false });
socket.on('connect', () => console.log(`connected ${socket.id}`));
socket.on('connect_error', (error) => {
  console.log(`connect_error ${error.message}`);
  process.exit(1);
});
socket.on('chat message', (msg) => console.log(`chat message: ${msg}`));
socket.on('private message', (from, msg) => console.log(`private message from ${from}: ${msg}`));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  socket.emit('chat message', line);
}).on('close', () => {
  // Give the last emit time to leave before closing.
  setTimeout(() => { socket.close(); process.exit(0); }, 200);
});
