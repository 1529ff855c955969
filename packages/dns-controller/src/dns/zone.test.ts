import { describe, expect, it } from 'vitest';
import { MeshZone, validateMeshDomain, validateMeshServiceRecord } from './zone.js';

const orders = {
  namespace: 'shop',
  name: 'orders',
  clusterIPs: ['10.96.0.10', 'fd00::a'],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' as const }],
};

describe('MeshZone', () => {
  it('keeps a record set per Service and splits addresses by family', () => {
    const zone = new MeshZone();
    expect(zone.upsert(orders).ok).toBe(true);
    expect(zone.get('shop', 'orders')).toEqual({ record: orders, ipv4: ['10.96.0.10'], ipv6: ['fd00::a'] });
    expect(zone.get('SHOP', 'Orders')).toBeDefined();
    expect(zone.hasNamespace('shop')).toBe(true);
  });

  it('replaces on upsert and forgets on remove, moving the serial each time', () => {
    const zone = new MeshZone('mesh.example');
    const serials = [zone.serial];
    zone.upsert(orders);
    serials.push(zone.serial);
    zone.upsert({ ...orders, clusterIPs: ['10.96.0.99'] });
    serials.push(zone.serial);
    expect(zone.get('shop', 'orders')?.ipv4).toEqual(['10.96.0.99']);
    expect(zone.size).toBe(1);
    expect(zone.remove('shop', 'orders')).toBe(true);
    expect(zone.remove('shop', 'orders')).toBe(false);
    serials.push(zone.serial);
    expect(new Set(serials).size).toBe(4);
    expect(zone.hasNamespace('shop')).toBe(false);
  });

  it('counts namespaces per Service', () => {
    const zone = new MeshZone();
    zone.upsert(orders);
    zone.upsert({ ...orders, name: 'cart' });
    zone.remove('shop', 'orders');
    expect(zone.hasNamespace('shop')).toBe(true);
  });

  it('reports and does not store an invalid record', () => {
    const zone = new MeshZone();
    const result = zone.upsert({
      namespace: 'Shop',
      name: 'orders',
      clusterIPs: ['10.96.0.300', 'None'],
      ports: [{ name: 'HTTP', port: 70000, protocol: 'SCTP' as 'TCP' }],
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((error) => error.path)).toEqual([
      'namespace',
      'clusterIPs[0]',
      'clusterIPs[1]',
      'ports[0].name',
      'ports[0].port',
      'ports[0].protocol',
    ]);
    expect(zone.size).toBe(0);
  });

  it('never throws on input that is not a record at all', () => {
    const junk = { namespace: 1, name: null, clusterIPs: 'x', ports: [null] } as unknown as typeof orders;
    expect(validateMeshServiceRecord(junk).ok).toBe(false);
  });

  it('accepts only lower-case dotted domains', () => {
    expect(validateMeshDomain('mesh.example').ok).toBe(true);
    for (const bad of ['', 'Mesh', 'mesh.', '.mesh', 'me sh', 42])
      expect(validateMeshDomain(bad).ok).toBe(false);
    expect(() => new MeshZone('bad..domain')).toThrow(/mesh domain/);
  });
});
