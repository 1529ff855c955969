/** A TCP echo pod: sends back every byte it receives. Env: POD_IP, PORT. */
import { createServer } from 'node:net';
import { portEnv, requiredEnv } from './env.js';

const host = requiredEnv('POD_IP');
const port = portEnv('PORT');

const server = createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
server.listen(port, host, () => process.stdout.write(`tcp-echo listening on ${host}:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
