// The Node.js side of the benchmarks (crates/banter-bench): stock Socket.IO 4 with handlers that do the work the
// Banter host's do for the events the benchmark sends. It checks the handshake and admits named and guest users,
// sends the welcome (users, rooms, lobby history), tells others who came online and who joined, keeps rooms with
// members, per-room sequence numbers and the last 100 messages, validates and acknowledges every message, and
// gathers room-list changes for 250 ms into one push, as the host does. Message ids are 16 hex digits, as the
// host's are, so that both put the same bytes on the wire. It has no request budget: the benchmark
// lifts the host's too.
//
// Usage: node bench-server.js [--port PORT]. Listens on 127.0.0.1 only and prints "listening on 127.0.0.1:PORT".
// ws uses bufferutil and utf-8-validate when installed; WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1 turn them off.
'use strict';
const http = require('http');
const crypto = require('crypto');
const { Server } = require('socket.io');

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const LIMITS = { maxMessageChars: 4000, maxNameChars: 32, maxRoomChars: 48, maxAttachmentBytes: 1048576, historyPerRoom: 100 };
const LOBBY = 'lobby';
const ROOM_LIST_DELAY_MS = 250;

const users = new Map(); // name key -> { name, userKey, connections }
const connections = new Map(); // socket id -> { user: name key, rooms: Set of room keys, banter }
const rooms = new Map(); // room key -> { name, members: Map(user key -> count), lastSeq, history: [] }
let guests = 0;

const nameKey = (name) => name.trim().toLowerCase();
const roomSocket = (key) => `room:${key}`;
const userInfo = (user) => ({ name: user.name, connections: user.connections });
const roomList = () => [...rooms.values()].map((room) => ({ name: room.name, members: room.members.size }));
const fail = (kind, message) => ({ error: { kind, message } });
rooms.set(LOBBY, { name: LOBBY, members: new Map(), lastSeq: 0, history: [] });

const httpServer = http.createServer();
const io = new Server(httpServer, { maxHttpBufferSize: 2 * 1048576 });

let roomListPending = false;
function pushRoomListSoon() {
  if (roomListPending) return;
  roomListPending = true;
  setTimeout(() => {
    roomListPending = false;
    io.to('~banter').emit('room:list', { rooms: roomList() });
  }, ROOM_LIST_DELAY_MS);
}

io.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  if (auth.name === undefined) return next();
  if (typeof auth.name !== 'string' || !auth.name.trim() || auth.name.trim().length > LIMITS.maxNameChars) {
    return next(new Error('bad_request: A name is 1 to 32 characters.'));
  }
  const existing = users.get(nameKey(auth.name));
  if (existing && existing.connections > 0 && existing.userKey !== auth.userKey) {
    return next(new Error(`name_taken: “${auth.name.trim()}” is taken.`));
  }
  return next();
});

function enterRoom(socket, key) {
  const connection = connections.get(socket.id);
  const room = rooms.get(key);
  connection.rooms.add(key);
  const count = room.members.get(connection.user) || 0;
  room.members.set(connection.user, count + 1);
  if (connection.banter) socket.join(roomSocket(key));
  return count === 0;
}

io.on('connection', (socket) => {
  const auth = socket.handshake.auth || {};
  const banter = auth.protocol !== undefined;
  const name = typeof auth.name === 'string' ? auth.name.trim() : `Guest ${++guests}`;
  const key = nameKey(name);
  let user = users.get(key);
  if (!user) {
    user = { name, userKey: auth.userKey, connections: 0 };
    users.set(key, user);
  }
  user.connections += 1;
  const cameOnline = user.connections === 1;
  connections.set(socket.id, { user: key, rooms: new Set(), banter });
  const joinedLobby = enterRoom(socket, LOBBY);

  if (banter) {
    socket.join(['~banter', `user:${key}`]);
    socket.emit('session:welcome', {
      protocol: 1,
      socketId: socket.id,
      user: userInfo(user),
      users: [...users.values()].filter((u) => u.connections > 0).map(userInfo),
      rooms: roomList(),
      history: rooms.get(LOBBY).history,
      limits: LIMITS,
    });
  } else {
    socket.join('~plain');
  }
  if (cameOnline) socket.broadcast.to('~banter').emit('user:online', { user: userInfo(user) });
  if (joinedLobby) {
    socket.broadcast.to(roomSocket(LOBBY)).emit('member:joined', { room: LOBBY, user: name });
    pushRoomListSoon();
  }

  socket.on('room:join', (request, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (!request || typeof request.room !== 'string' || !request.room.trim() || request.room.trim().length > LIMITS.maxRoomChars) {
      return reply(fail('bad_request', 'A room name is 1 to 48 characters.'));
    }
    const roomKey = nameKey(request.room);
    let created = false;
    if (!rooms.has(roomKey)) {
      rooms.set(roomKey, { name: request.room.trim(), members: new Map(), lastSeq: 0, history: [] });
      created = true;
    }
    const room = rooms.get(roomKey);
    const newMember = !connections.get(socket.id).rooms.has(roomKey) && enterRoom(socket, roomKey);
    if (newMember) socket.broadcast.to(roomSocket(roomKey)).emit('member:joined', { room: room.name, user: name });
    if (newMember || created) pushRoomListSoon();
    const members = [...room.members.keys()].map((member) => users.get(member).name);
    return reply({ data: { room: room.name, members, history: room.history } });
  });

  socket.on('message:send', (request, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (!request || typeof request.room !== 'string' || typeof request.text !== 'string') {
      return reply(fail('bad_request', 'The payload does not have the expected shape.'));
    }
    const roomKey = nameKey(request.room);
    const connection = connections.get(socket.id);
    if (!connection.rooms.has(roomKey)) return reply(fail('forbidden', `Join “${request.room.trim()}” before posting to it.`));
    const text = request.text.trim();
    if (!text) return reply(fail('bad_request', 'A message needs some text.'));
    if ([...text].length > LIMITS.maxMessageChars) return reply(fail('too_large', 'The message is too long.'));
    const room = rooms.get(roomKey);
    room.lastSeq += 1;
    const message = { id: crypto.randomBytes(8).toString('hex'), room: room.name, seq: room.lastSeq, ts: Date.now(), from: name, text };
    room.history.push(message);
    while (room.history.length > LIMITS.historyPerRoom) room.history.shift();
    io.to(roomSocket(roomKey)).emit('message:new', message);
    return reply({ data: message });
  });

  socket.on('disconnect', () => {
    const connection = connections.get(socket.id);
    connections.delete(socket.id);
    const left = [];
    for (const roomKey of connection.rooms) {
      const room = rooms.get(roomKey);
      const count = room.members.get(key) - 1;
      if (count > 0) {
        room.members.set(key, count);
      } else {
        room.members.delete(key);
        left.push(room.name);
      }
    }
    if (left.length) io.to(left.map((room) => roomSocket(nameKey(room)))).emit('member:left', { rooms: left, user: name, reason: 'disconnected' });
    user.connections -= 1;
    if (user.connections === 0) {
      io.to('~banter').emit('user:offline', { user: userInfo(user) });
      users.delete(key);
    }
    if (left.length) pushRoomListSoon();
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  const address = httpServer.address();
  process.stdout.write(`listening on ${address.address}:${address.port}\n`);
});
