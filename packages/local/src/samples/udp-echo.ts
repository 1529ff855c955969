/** A UDP echo pod: sends every datagram back to where it came from. Env: POD_IP, PORT. */
import { createSocket } from 'node:dgram';
import { portEnv, requiredEnv } from './env.js';

const host = requiredEnv('POD_IP');
const port = portEnv('PORT');

const socket = createSocket('udp4');
socket.on('message', (message, from) => socket.send(message, from.port, from.address));
socket.on('error', (error) => process.stderr.write(`udp-echo: ${error.message}\n`));
socket.bind(port, host, () => process.stdout.write(`udp-echo listening on ${host}:${port}\n`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
