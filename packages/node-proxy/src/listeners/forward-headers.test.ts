import { describe, expect, it } from 'vitest';
import { forwardRequestHeaders, responseHeaderList, withoutHopByHop } from './forward-headers.js';

describe('forwarded request headers', () => {
  it('strips hop-by-hop, Connection-named and mesh headers; keeps Host; sets X-Forwarded-*', () => {
    const out = forwardRequestHeaders(
      {
        host: 'orders.shop.mesh',
        connection: 'keep-alive, x-private',
        'keep-alive': 'timeout=5',
        'x-private': 'secret',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        'x-nodemesh-caller': 'forged',
        'x-forwarded-for': '192.0.2.1',
        accept: 'text/plain',
      },
      '127.0.0.5',
    );
    expect(out).toEqual({
      host: 'orders.shop.mesh',
      accept: 'text/plain',
      'x-forwarded-for': '192.0.2.1, 127.0.0.5',
      'x-forwarded-proto': 'http',
    });
  });

  it('drops Expect (the proxy answers it) and takes Host from an absolute-form target when given', () => {
    const out = forwardRequestHeaders({ host: 'a.shop.mesh', expect: '100-continue' }, undefined, {
      host: 'b.shop.mesh:80',
    });
    expect(out).toEqual({ host: 'b.shop.mesh:80', 'x-forwarded-proto': 'http' });
  });

  it('a Connection header cannot name Host or Content-Length', () => {
    const out = withoutHopByHop(
      { connection: 'host, Content-Length, x-a', host: 'h', 'content-length': '3', 'x-a': '1' },
      { stripMesh: true },
    );
    expect(out).toEqual({ host: 'h', 'content-length': '3' });
  });

  it('drops underscore spellings of mesh, identity, forwarding and hop-by-hop headers; keeps other underscores', () => {
    const out = withoutHopByHop(
      {
        x_nodemesh_caller: '1',
        x_remote_user: '1',
        'x-forwarded_client-cert': '1',
        l5d_client_id: '1',
        x_forwarded_for: '1',
        transfer_encoding: '1',
        api_key: 'k',
        'x-forwarded-host': 'kept',
      },
      { stripMesh: true },
    );
    expect(out).toEqual({ api_key: 'k', 'x-forwarded-host': 'kept' });
  });

  it('response headers keep mesh headers only when asked', () => {
    expect(withoutHopByHop({ 'x-nodemesh-x': '1', connection: 'close' }, { stripMesh: false })).toEqual({
      'x-nodemesh-x': '1',
    });
  });

  it('drops what a common Connection value names as it does any other (parsed once, same result)', () => {
    const upstream = {
      connection: 'close',
      close: 'x',
      'keep-alive': 'timeout=5',
      'content-type': 'text/plain',
    };
    expect(withoutHopByHop(upstream, { stripMesh: true })).toEqual({ 'content-type': 'text/plain' });
    const named = { connection: 'Keep-Alive, X-Custom', 'x-custom': '1', 'x-other': '2' };
    expect(withoutHopByHop(named, { stripMesh: true })).toEqual({ 'x-other': '2' });
    // The cached sets are not shared with the caller: a second message still sees its own tokens.
    expect(withoutHopByHop({ connection: 'close', 'x-custom': '1' }, { stripMesh: true })).toEqual({
      'x-custom': '1',
    });
  });
});

describe('the response head as a flat list', () => {
  it('keeps end-to-end headers in order and spelling, drops hop-by-hop, Connection-named and mesh ones', () => {
    const raw = [
      Buffer.from('Content-Type'),
      Buffer.from('text/plain'),
      Buffer.from('Connection'),
      Buffer.from('keep-alive, X-Private'),
      Buffer.from('x-private'),
      Buffer.from('secret'),
      Buffer.from('Keep-Alive'),
      Buffer.from('timeout=5'),
      Buffer.from('Transfer-Encoding'),
      Buffer.from('chunked'),
      Buffer.from('X-Nodemesh-Caller'),
      Buffer.from('forged'),
      Buffer.from('x_forwarded_for'),
      Buffer.from('1.2.3.4'),
      Buffer.from('Set-Cookie'),
      Buffer.from('a=1'),
      Buffer.from('set-cookie'),
      Buffer.from('b=2'),
    ];
    expect(responseHeaderList(raw)).toEqual([
      'Content-Type',
      'text/plain',
      'Set-Cookie',
      'a=1',
      'set-cookie',
      'b=2',
    ]);
  });

  it('a Connection header never makes Content-Length hop-by-hop', () => {
    expect(responseHeaderList(['connection', 'content-length', 'content-length', '3'])).toEqual([
      'content-length',
      '3',
    ]);
  });

  it('passes a header value byte for byte, obs-text included (read as latin1, as node:http writes it)', () => {
    const value = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const [, out] = responseHeaderList([Buffer.from('X-Name'), value]);
    expect(Buffer.from(out ?? '', 'latin1')).toEqual(value);
  });
});
