// A tiny authoritative DNS server over UDP standing in for the dns-controller in harness tests: it answers
// A queries for the names it is given and NXDOMAIN for anything else; malformed packets are dropped. Usage:
//   node stub-dns.mjs --port 5353 --records '{"web.shop.mesh":"10.96.0.20"}' [--host 0.0.0.0] [--ttl 5]
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string', default: '5353' },
    records: { type: 'string', default: '{}' },
    ttl: { type: 'string', default: '5' },
  },
});

const records = new Map(
  Object.entries(JSON.parse(values.records)).map(([name, ip]) => [
    name.toLowerCase().replace(/\.$/, ''),
    String(ip),
  ]),
);
const ttl = Number(values.ttl);

/** Reads the question of a query: its name, type and where the question ends; undefined when malformed. */
function readQuestion(packet) {
  if (packet.length < 12 || packet.readUInt16BE(4) !== 1) return undefined;
  const labels = [];
  let at = 12;
  while (at < packet.length) {
    const length = packet[at];
    if (length === 0) break;
    if (length > 63 || at + 1 + length > packet.length) return undefined;
    labels.push(packet.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  if (at + 5 > packet.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: packet.readUInt16BE(at + 1), end: at + 5 };
}

function answer(query, question) {
  const ip = records.get(question.name);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const rd = query[2] & 0x01;
  const found = ip !== undefined && (question.type === 1 || question.type === 255);
  const rcode = ip === undefined ? 3 : 0;
  header.writeUInt16BE(0x8400 | (rd << 8) | rcode, 2); // QR, AA, RD copied, rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(found ? 1 : 0, 6);
  const parts = [header, query.subarray(12, question.end)];
  if (found) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    record.writeUInt16BE(1, 2);
    record.writeUInt16BE(1, 4);
    record.writeUInt32BE(ttl, 6);
    record.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => {
      record.writeUInt8(Number(octet) & 0xff, 12 + i);
    });
    parts.push(record);
  }
  return Buffer.concat(parts);
}

const socket = dgram.createSocket('udp4');
socket.on('message', (query, peer) => {
  const question = readQuestion(query);
  if (question === undefined || (query[2] & 0x80) !== 0) return;
  socket.send(answer(query, question), peer.port, peer.address);
});
socket.on('error', (error) => process.stderr.write(`stub-dns: ${error.message}\n`));
socket.bind(Number(values.port), values.host);
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
