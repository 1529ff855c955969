import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.js';
import { builtinResources } from './builtin-resources.js';
import { shortAge, toTable, wantsTable } from './table.js';

const services = builtinResources.find((t) => t.plural === 'services');
const leases = builtinResources.find((t) => t.plural === 'leases');

describe('server-side printing', () => {
  it('is used when kubectl asks for a meta.k8s.io Table', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });

  it('prints ages the way kubectl does', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    expect(shortAge('2026-01-09T23:59:15Z', now)).toBe('45s');
    expect(shortAge('2026-01-09T23:48:00Z', now)).toBe('12m');
    expect(shortAge('2026-01-09T19:00:00Z', now)).toBe('5h');
    expect(shortAge('2026-01-07T00:00:00Z', now)).toBe('3d');
    expect(shortAge(undefined, now)).toBe('<unknown>');
  });

  it('has kind-specific columns for Services and Name/Age for the rest', () => {
    if (!services || !leases) throw new Error('built-ins missing');
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', creationTimestamp: '2026-01-09T23:59:00Z' },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.9',
        ports: [{ port: 80, protocol: 'TCP' }],
        selector: { app: 'web' },
      },
    };
    const table = toTable(services, [svc], '7', null, Date.parse('2026-01-10T00:00:00Z'));
    expect(table).toMatchObject({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '7' },
    });
    expect(table.rows).toEqual([
      {
        cells: ['web', 'ClusterIP', '10.96.0.9', '<none>', '80/TCP', '60s', 'app=web'],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: svc.metadata },
      },
    ]);
    const plain = toTable(leases, [{ ...svc, kind: 'Lease' }], '7', 'Object');
    expect((plain.columnDefinitions as { name: string }[]).map((c) => c.name)).toEqual(['Name', 'Age']);
    expect((plain.rows as { object: { kind: string } }[])[0]?.object.kind).toBe('Lease');
  });

  it("shows a CRD's additionalPrinterColumns", () => {
    if (!leases) throw new Error('built-ins missing');
    const type = {
      ...leases,
      printerColumns: [
        { name: 'Service', type: 'string', jsonPath: '.spec.service', priority: 0 },
        { name: 'First', type: 'integer', jsonPath: '.spec.backends[0].weight', priority: 0 },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', priority: 0 },
      ],
    };
    const obj: KubeObject = {
      apiVersion: 'x/v1',
      kind: 'TrafficSplit',
      metadata: { name: 'ts', creationTimestamp: '2026-01-09T23:00:00Z' },
      spec: { service: 'orders', backends: [{ weight: 90 }] },
    };
    const table = toTable(type, [obj], '1', null, Date.parse('2026-01-10T00:00:00Z'));
    expect((table.rows as { cells: unknown[] }[])[0]?.cells).toEqual(['ts', 'orders', 90, '60m']);
  });
});
