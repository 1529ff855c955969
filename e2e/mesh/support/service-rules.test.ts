import { describe, expect, it } from 'vitest';
import { listItems, serviceRulesFromApi } from './service-rules.js';

const service = (name: string, spec: Record<string, unknown>, namespace = 'shop') => ({
  metadata: { name, namespace },
  spec,
});

const slice = (service: string, ports: unknown[], endpoints: unknown[], namespace = 'shop') => ({
  metadata: { name: `${service}-abcde`, namespace, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports,
  endpoints,
});

describe('serviceRulesFromApi', () => {
  it('gives each Service port the ready endpoints of its slices, with their node and the slice port', () => {
    const rules = serviceRulesFromApi(
      [
        service('web', {
          clusterIP: '10.96.0.20',
          ports: [
            { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
          ],
        }),
      ],
      [
        slice(
          'web',
          [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'dns', port: 5353, protocol: 'UDP' },
          ],
          [
            { addresses: ['10.251.2.2'], conditions: { ready: true }, nodeName: 'node-b' },
            { addresses: ['10.251.1.2'], conditions: { ready: false }, nodeName: 'node-a' },
            { addresses: ['10.251.3.2'], nodeName: 'node-c' },
          ],
        ),
      ],
    );
    expect(rules).toEqual([
      {
        clusterIP: '10.96.0.20',
        port: 53,
        protocol: 'udp',
        internalTrafficPolicy: 'Cluster',
        endpoints: [
          { ip: '10.251.2.2', port: 5353, node: 'node-b' },
          { ip: '10.251.3.2', port: 5353, node: 'node-c' },
        ],
      },
      {
        clusterIP: '10.96.0.20',
        port: 80,
        protocol: 'tcp',
        internalTrafficPolicy: 'Cluster',
        endpoints: [
          { ip: '10.251.2.2', port: 8080, node: 'node-b' },
          { ip: '10.251.3.2', port: 8080, node: 'node-c' },
        ],
      },
    ]);
  });

  it('keeps internalTrafficPolicy Local, and a port with no endpoint (rejected by the harness)', () => {
    const rules = serviceRulesFromApi(
      [
        service(
          'shadow',
          { clusterIP: '10.96.0.30', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80 }] },
          'nodemesh',
        ),
      ],
      [slice('shadow', [{ name: 'other', port: 5000 }], [{ addresses: ['10.250.0.11'] }], 'nodemesh')],
    );
    expect(rules).toEqual([
      { clusterIP: '10.96.0.30', port: 80, protocol: 'tcp', internalTrafficPolicy: 'Local', endpoints: [] },
    ]);
  });

  it('does not mix up Services of the same name in two namespaces', () => {
    const rules = serviceRulesFromApi(
      [service('web', { clusterIP: '10.96.0.40', ports: [{ name: '', port: 80 }] }, 'a')],
      [
        slice('web', [{ name: '', port: 8080 }], [{ addresses: ['10.251.1.5'] }], 'b'),
        slice('web', [{ port: 8081 }], [{ addresses: ['10.251.1.6'] }], 'a'),
      ],
    );
    expect(rules[0]?.endpoints).toEqual([{ ip: '10.251.1.6', port: 8081, node: '' }]);
  });

  it('skips headless Services, SCTP ports, IPv6 slices and anything malformed, never throwing', () => {
    const rules = serviceRulesFromApi(
      [
        service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('sctp', { clusterIP: '10.96.0.50', ports: [{ port: 80, protocol: 'SCTP' }, { port: 0 }] }),
        service('v6', { clusterIP: '10.96.0.51', ports: [{ port: 80 }] }),
        { metadata: 'nope', spec: 7 },
        service('junk', { clusterIP: '10.96.0.52', ports: 'many' }),
      ],
      [
        { ...slice('v6', [{ port: 80 }], [{ addresses: ['fd00::1'] }]), addressType: 'IPv6' },
        slice('v6', [{ port: 80 }], [{ addresses: 'x' }, 'y', { addresses: ['not-an-ip'] }]),
        null,
      ],
    );
    expect(rules).toEqual([
      { clusterIP: '10.96.0.51', port: 80, protocol: 'tcp', internalTrafficPolicy: 'Cluster', endpoints: [] },
    ]);
  });
});

describe('listItems', () => {
  it('reads a List’s items and nothing else', () => {
    expect(listItems({ items: [{ a: 1 }, 2] })).toEqual([{ a: 1 }]);
    expect(listItems('oops')).toEqual([]);
    expect(listItems({ items: 'no' })).toEqual([]);
  });
});
