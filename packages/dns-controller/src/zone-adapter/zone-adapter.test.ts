import { silentLogger } from '@nodemesh/kube-runtime';
import { shadowLabels, shadowServiceName } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { MeshZone } from '../dns/zone.js';
import { ZoneAdapter } from './zone-adapter.js';

function shadow(ns: string, name: string, ip: string, shadowName = shadowServiceName(ns, name), rv = '1') {
  return {
    metadata: {
      namespace: 'nodemesh',
      name: shadowName,
      resourceVersion: rv,
      labels: shadowLabels({ namespace: ns, name }),
      annotations: { 'nodemesh.io/traffic-type': 'http' },
    },
    spec: {
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: 'web', protocol: 'TCP', port: 80, targetPort: 5000 }],
    },
  };
}

describe('ZoneAdapter', () => {
  it('adds, updates and removes the record of a shadow under the user Service name', () => {
    const zone = new MeshZone('mesh');
    const adapter = new ZoneAdapter(zone, silentLogger);
    const first = shadow('shop', 'orders', '10.96.0.7');
    adapter.onAdd(first);
    expect(zone.get('shop', 'orders')?.ipv4).toEqual(['10.96.0.7']);
    expect(zone.get('shop', 'orders')?.record.ports).toEqual([{ name: 'web', port: 80, protocol: 'TCP' }]);
    const moved = shadow('shop', 'orders', '10.96.0.8', undefined, '2');
    adapter.onUpdate(moved, first);
    expect(zone.get('shop', 'orders')?.ipv4).toEqual(['10.96.0.8']);
    adapter.onDelete(moved);
    expect(zone.get('shop', 'orders')).toBeUndefined();
    expect(zone.hasNamespace('shop')).toBe(false);
  });

  it('prefers the shadow under the canonical name while a duplicate exists', () => {
    const zone = new MeshZone('mesh');
    const adapter = new ZoneAdapter(zone, silentLogger);
    adapter.onAdd(shadow('shop', 'orders', '10.96.0.7'));
    const old = shadow('shop', 'orders', '10.96.0.9', 'old-name');
    adapter.onAdd(old);
    expect(zone.get('shop', 'orders')?.ipv4).toEqual(['10.96.0.7']);
    adapter.onDelete(old);
    expect(zone.get('shop', 'orders')?.ipv4).toEqual(['10.96.0.7']);
  });

  it('withdraws a shadow that becomes unreadable, and ignores garbage', () => {
    const zone = new MeshZone('mesh');
    const adapter = new ZoneAdapter(zone, silentLogger);
    const good = shadow('shop', 'orders', '10.96.0.7');
    adapter.onAdd(good);
    const broken = { ...good, spec: { ...good.spec, ports: 'none' } };
    adapter.onUpdate(broken, good);
    expect(zone.get('shop', 'orders')).toBeUndefined();
    for (const junk of [null, 3, {}, { metadata: { name: 4 } }]) adapter.onAdd(junk);
    expect(zone.size).toBe(0);
  });

  it('gives a headless-looking shadow no addresses but keeps the name', () => {
    const zone = new MeshZone('mesh');
    const adapter = new ZoneAdapter(zone, silentLogger);
    adapter.onAdd(shadow('shop', 'orders', 'None'));
    expect(zone.get('shop', 'orders')?.ipv4).toEqual([]);
  });
});
