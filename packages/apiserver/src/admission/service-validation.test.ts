import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.js';
import { validateService } from './service-validation.js';

const svc = (spec: unknown): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's' },
  spec: spec as KubeObject['spec'],
});
const fields = (spec: unknown) => validateService(svc(spec)).map((c) => c.field);

describe('validateService', () => {
  it('accepts ordinary, multi-port, headless and ExternalName services', () => {
    expect(fields({ ports: [{ port: 80, targetPort: 'http' }] })).toEqual([]);
    expect(
      fields({
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81, protocol: 'UDP', targetPort: 9000 },
        ],
      }),
    ).toEqual([]);
    expect(fields({ clusterIP: 'None' })).toEqual([]);
    expect(fields({ type: 'ExternalName', externalName: 'example.com' })).toEqual([]);
  });

  it('names each bad field', () => {
    expect(fields({ type: 'Magic', ports: [{ port: 80 }] })).toEqual(['spec.type']);
    expect(fields({})).toEqual(['spec.ports']);
    expect(fields({ ports: [{ port: 0 }] })).toEqual(['spec.ports[0].port']);
    expect(fields({ ports: [{ port: '80' }] })).toEqual(['spec.ports[0].port']);
    expect(fields({ ports: [{ port: 80, protocol: 'ICMP' }] })).toEqual(['spec.ports[0].protocol']);
    expect(fields({ ports: [{ port: 80 }, { name: 'b', port: 81 }] })).toEqual(['spec.ports[0].name']);
    expect(
      fields({
        ports: [
          { name: 'a', port: 80 },
          { name: 'a', port: 81 },
        ],
      }),
    ).toEqual(['spec.ports[1].name']);
    expect(fields({ ports: [{ port: 80, targetPort: 'Not_A_Name' }] })).toEqual(['spec.ports[0].targetPort']);
    expect(fields({ ports: [{ port: 80, targetPort: 70000 }] })).toEqual(['spec.ports[0].targetPort']);
    expect(fields({ ports: 'eighty' })).toEqual(['spec.ports']);
    expect(fields({ ports: [{ port: 80 }], selector: { app: 1 } })).toEqual(['spec.selector']);
  });
});
