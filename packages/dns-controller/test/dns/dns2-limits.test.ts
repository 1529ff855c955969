/**
 * Why the server reads queries with its own decoder instead of dns2 2.1.0's `Packet.parse`: each case
 * here fails with dns2 and passes with ours. If a dns2 release fixes them, these tests say so.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { decodeQuery } from '../../src/dns/index.js';

const parse = (dns2.Packet as unknown as { parse(bytes: Buffer): Record<string, unknown[]> }).parse;
const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const query = '1234 0100 0001 0000 0000';

describe('dns2 2.1.0 Packet.parse, compared with decodeQuery', () => {
  it('spins forever on a compression pointer to itself', () => {
    const packet = `${query} 0000 c00c 0001 0001`;
    const dns2Path = createRequire(import.meta.url).resolve('dns2');
    const script = `require(${JSON.stringify(dns2Path)}).Packet.parse(Buffer.from('${packet.replace(/\s/g, '')}', 'hex'))`;
    // spawnSync kills the child it started when the timeout passes.
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 3000 });
    expect(child.signal).toBe('SIGTERM');
    expect(decodeQuery(hex(packet)).kind).toBe('formerr');
  });

  it('loses the EDNS payload size and version (always 512 and 0)', () => {
    const packet = hex(`${query} 0001 04 74657374 04 6d657368 00 0001 0001  00 0029 1000 00 01 0000 0000`);
    expect(parse(packet).additionals).toEqual([expect.objectContaining({ class: 512, ttl: 0 })]);
    const ours = decodeQuery(packet);
    expect(ours.kind === 'query' && ours.query.edns).toEqual({
      udpPayloadSize: 4096,
      version: 1,
      dnssecOk: false,
    });
  });

  it('hides a cut question instead of reporting it', () => {
    const packet = hex(`${query} 0000 04 74657374 04 6d657368 00 0001`);
    expect(parse(packet).questions).toEqual([]);
    expect(decodeQuery(packet).kind).toBe('formerr');
  });
});
