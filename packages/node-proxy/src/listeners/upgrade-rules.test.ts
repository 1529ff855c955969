import { describe, expect, it } from 'vitest';
import { headWithoutUpgrade, responseHead, switchedTo, upgradeKind } from './upgrade-rules.js';

describe('upgradeKind', () => {
  it('tunnels only a bodiless HTTP/1.1 GET asking for websocket', () => {
    expect(upgradeKind('GET', '1.1', { upgrade: 'websocket' })).toBe('websocket');
    expect(upgradeKind('GET', '1.1', { upgrade: ' WebSocket ' })).toBe('websocket');
    expect(upgradeKind('GET', '1.1', { upgrade: 'websocket', 'content-length': '0' })).toBe('websocket');
  });

  it.each([
    ['h2c', 'GET', '1.1', { upgrade: 'h2c' }],
    ['another protocol', 'GET', '1.1', { upgrade: 'TLS/1.0' }],
    ['several protocols', 'GET', '1.1', { upgrade: 'websocket, h2c' }],
    ['POST', 'POST', '1.1', { upgrade: 'websocket' }],
    ['HTTP/1.0', 'GET', '1.0', { upgrade: 'websocket' }],
    ['a body', 'GET', '1.1', { upgrade: 'websocket', 'content-length': '5' }],
    ['a chunked body', 'GET', '1.1', { upgrade: 'websocket', 'transfer-encoding': 'chunked' }],
  ] as const)('anything else goes on as a plain request: %s', (_name, method, version, headers) => {
    expect(upgradeKind(method, version, headers)).toBe('plain');
  });
});

describe('headWithoutUpgrade', () => {
  it('writes the head back without Upgrade, HTTP2-Settings and their Connection tokens', () => {
    const head = headWithoutUpgrade('POST', '/a?b', '1.1', [
      'Host',
      'orders.shop.mesh',
      'Connection',
      'Upgrade, HTTP2-Settings, close',
      'Upgrade',
      'h2c',
      'HTTP2-Settings',
      'AAMAAABkAAQCAAAAAAIAAAAA',
      'X-A',
      '1',
      'X-A',
      '2',
    ]);
    expect(head).toBe(
      'POST /a?b HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: close\r\nX-A: 1\r\nX-A: 2\r\n\r\n',
    );
  });

  it('drops a Connection header left empty', () => {
    expect(headWithoutUpgrade('GET', '/', '1.1', ['connection', 'upgrade', 'upgrade', 'h2c'])).toBe(
      'GET / HTTP/1.1\r\n\r\n',
    );
  });
});

describe('switchedTo', () => {
  it('only a 101 to the protocol asked', () => {
    expect(switchedTo(101, { upgrade: 'websocket' }, 'websocket')).toBe(true);
    expect(switchedTo(101, { upgrade: 'WebSocket' }, 'websocket')).toBe(true);
    expect(switchedTo(101, { upgrade: 'h2c' }, 'websocket')).toBe(false);
    expect(switchedTo(101, {}, 'websocket')).toBe(false);
    expect(switchedTo(200, { upgrade: 'websocket' }, 'websocket')).toBe(false);
  });
});

describe('responseHead', () => {
  it('writes a status line and every value of every header', () => {
    expect(responseHead(403, 'Forbidden', { 'set-cookie': ['a=1', 'b=2'], connection: 'close' })).toBe(
      'HTTP/1.1 403 Forbidden\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nconnection: close\r\n\r\n',
    );
  });
});
