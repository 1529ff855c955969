import { describe, expect, it } from 'vitest';
import { forService, readSnapshot } from './snapshot-view.js';

const snapshot = {
  version: 4,
  builtAt: '2026-01-01T00:00:00.000Z',
  http: [
    {
      entrypoint: 5000,
      hosts: {
        'orders.shop.mesh': {
          service: 'shop/orders',
          port: 80,
          root: { service: 'shop/orders', weight: 1, endpoints: ['10.0.0.1:8080'] },
          split: {
            name: 'canary',
            backends: [
              { service: 'shop/orders-v1', weight: 90, endpoints: [] },
              { service: 'shop/orders-v2', weight: 10, endpoints: ['10.0.0.2:8080'] },
            ],
          },
        },
      },
    },
  ],
  tcp: [
    {
      listener: 10000,
      service: 'shop/db',
      port: 5432,
      root: { service: 'shop/db', weight: 1, endpoints: ['10.0.0.3:5432'] },
      split: null,
    },
  ],
  udp: 'not a list',
  access: {
    grants: {
      'shop/orders': {
        'shop/web': [
          {
            trafficTarget: 'shop/web-orders',
            port: null,
            httpMatches: ['all'],
            tcpPorts: null,
            udpPorts: 'any',
          },
        ],
      },
    },
  },
  problems: [
    {
      kind: 'TrafficSplit',
      namespace: 'shop',
      name: 'bad',
      reason: 'UnknownBackend',
      message: 'no such Service',
    },
    'junk',
  ],
};

describe('readSnapshot', () => {
  it('reads routes with split weights and endpoints, grants and problems', () => {
    const view = readSnapshot(snapshot);
    expect(view.routes).toHaveLength(2);
    expect(view.routes[0]).toMatchObject({
      protocol: 'http',
      listener: '5000',
      host: 'orders.shop.mesh',
      split: 'canary',
    });
    expect(view.routes[0]?.backends.map((b) => `${b.service}=${b.weight}`)).toEqual([
      'shop/orders-v1=90',
      'shop/orders-v2=10',
    ]);
    expect(view.routes[1]).toMatchObject({
      protocol: 'tcp',
      listener: '10000',
      split: '',
      backends: [{ weight: '100%', endpoints: ['10.0.0.3:5432'] }],
    });
    expect(view.grants).toEqual([
      {
        destination: 'shop/orders',
        source: 'shop/web',
        trafficTarget: 'shop/web-orders',
        ports: 'udp any',
        httpMatches: 'all',
      },
    ]);
    expect(view.problems[0]).toEqual({
      object: 'TrafficSplit shop/bad',
      reason: 'UnknownBackend',
      message: 'no such Service',
    });
  });

  it('never throws on hostile input', () => {
    for (const input of [
      null,
      7,
      'x',
      [],
      { http: [null, { hosts: 3 }], access: { grants: { a: { b: 'c' } } } },
    ]) {
      expect(() => readSnapshot(input)).not.toThrow();
    }
  });

  it('narrows to one Service: its routes, the routes splitting to it, its problems', () => {
    expect(forService(readSnapshot(snapshot), 'shop/orders-v2').routes.map((r) => r.service)).toEqual([
      'shop/orders',
    ]);
    expect(forService(readSnapshot(snapshot), 'shop/db').routes.map((r) => r.service)).toEqual(['shop/db']);
    expect(forService(readSnapshot(snapshot), 'shop/bad').problems).toHaveLength(1);
  });
});
