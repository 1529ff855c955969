import { describe, expect, it } from 'vitest';
import { headersToObject } from './forward.js';

describe('headersToObject', () => {
  it('reads raw pairs (HTTP/1.1), joining repeats into a list and lower-casing names', () => {
    expect(
      headersToObject([
        Buffer.from('Set-Cookie'),
        Buffer.from('a=1'),
        'set-cookie',
        'b=2',
        'X-One',
        ['1', '2'],
      ]),
    ).toEqual({ 'set-cookie': ['a=1', 'b=2'], 'x-one': ['1', '2'] });
  });

  it('reads node:http2 header objects (trailers), leaving out pseudo-headers', () => {
    expect(headersToObject({ ':status': 200, 'grpc-status': '0', 'grpc-message': ['a', 'b'], n: 3 })).toEqual(
      {
        'grpc-status': '0',
        'grpc-message': ['a', 'b'],
        n: '3',
      },
    );
  });

  it('nothing in, nothing out', () => {
    expect(headersToObject(null)).toEqual({});
    expect(headersToObject(undefined)).toEqual({});
  });
});
