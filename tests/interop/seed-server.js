// The Socket.IO chat tutorial's server (express + socket.io), with the Rooms page's private message, as the seed
// gives them: the stock server Banter clients must be able to chat with. It listens on 127.0.0.1 and a free port,
// and prints "listening on PORT" once ready.
const express = require('express');
const http = require('http');
const { Server } = require('socket.io');

const app = express();
const server = http.createServer(app);
const io = new Server(server);

app.get('/', (req, res) => {
  res.send('<h1>Socket.IO chat</h1>');
});

io.on('connection', (socket) => {
  console.log('a user connected');
  socket.on('chat message', (msg) => {
    io.emit('chat message', msg);
  });
  socket.on('private message', (anotherSocketId, msg) => {
    socket.to(anotherSocketId).emit('private message', socket.id, msg);
  });
  socket.on('disconnect', () => {
    console.log('user disconnected');
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});
