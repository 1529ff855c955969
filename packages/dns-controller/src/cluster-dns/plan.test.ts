import { describe, expect, it } from 'vitest';
import { CUSTOM_SERVER_KEY } from './coredns-custom.js';
import { addMeshBlock } from './corefile.js';
import { planMeshCleanup, planMeshForward } from './plan.js';

const target = { domain: 'mesh', address: '10.96.0.53', port: 53 };
const corefile = '.:53 {\n    forward . /etc/resolv.conf\n}\n';
const withBlock = (() => {
  const added = addMeshBlock(corefile, target);
  if (!added.ok) throw new Error('cannot add');
  return added.value.corefile;
})();
const block = 'mesh:53 {\n    errors\n    cache 30\n    forward . 10.96.0.53:53\n}\n';

describe('planMeshForward', () => {
  it('patches the Corefile of the coredns ConfigMap', () => {
    expect(planMeshForward({ coredns: { Corefile: corefile } }, target)).toEqual({
      ok: true,
      value: {
        flavour: 'corefile',
        changes: [{ configMap: 'coredns', set: { Corefile: withBlock }, remove: [] }],
      },
    });
  });

  it('plans nothing when the block is already there', () => {
    expect(planMeshForward({ coredns: { Corefile: withBlock } }, target)).toEqual({
      ok: true,
      value: { flavour: 'corefile', changes: [] },
    });
  });

  it('prefers coredns-custom (AKS, k3s) and removes an old Corefile block of ours', () => {
    const plan = planMeshForward({ coredns: { Corefile: withBlock }, 'coredns-custom': {} }, target);
    expect(plan).toEqual({
      ok: true,
      value: {
        flavour: 'coredns-custom',
        changes: [
          { configMap: 'coredns-custom', set: { [CUSTOM_SERVER_KEY]: block }, remove: [] },
          { configMap: 'coredns', set: { Corefile: corefile }, remove: [] },
        ],
      },
    });
    const settled = planMeshForward(
      { coredns: { Corefile: corefile }, 'coredns-custom': { [CUSTOM_SERVER_KEY]: block } },
      target,
    );
    expect(settled.ok && settled.value.changes).toEqual([]);
  });

  it('falls back to kube-dns stub domains', () => {
    expect(planMeshForward({ 'kube-dns': { stubDomains: '{"acme.local":["1.2.3.4"]}' } }, target)).toEqual({
      ok: true,
      value: {
        flavour: 'kube-dns',
        changes: [
          {
            configMap: 'kube-dns',
            set: { stubDomains: '{"acme.local":["1.2.3.4"],"mesh":["10.96.0.53"]}' },
            remove: [],
          },
        ],
      },
    });
  });

  it.each([
    [{}, ': found none of the kube-system ConfigMaps'],
    [{ coredns: {} }, 'coredns.data.Corefile: is missing'],
    [{ coredns: { Corefile: 42 } }, 'coredns.data.Corefile: must be a string, got 42'],
    [{ coredns: { Corefile: '.:53 {\n' } }, 'coredns.data.Corefile: line 1: Corefile cannot be edited'],
    [
      { 'coredns-custom': { [CUSTOM_SERVER_KEY]: ['x'] } },
      'coredns-custom.data.nodemesh.server: must be a string',
    ],
    [{ 'kube-dns': { stubDomains: '{' } }, 'kube-dns.data.stubDomains: is not valid JSON'],
  ])('reports what it cannot patch: %j', (seen, message) => {
    const plan = planMeshForward(seen, target);
    expect(plan.ok ? '' : `${plan.errors[0]?.path}: ${plan.errors[0]?.message}`).toContain(message);
  });
});

describe('planMeshCleanup', () => {
  it('removes every trace and keeps everything else', () => {
    expect(
      planMeshCleanup(
        {
          coredns: { Corefile: withBlock },
          'coredns-custom': { [CUSTOM_SERVER_KEY]: block, 'other.server': 'x' },
          'kube-dns': { stubDomains: '{"mesh":["10.96.0.53"]}' },
        },
        'mesh',
      ),
    ).toEqual({
      changes: [
        { configMap: 'coredns', set: { Corefile: corefile }, remove: [] },
        { configMap: 'coredns-custom', set: {}, remove: [CUSTOM_SERVER_KEY] },
        { configMap: 'kube-dns', set: {}, remove: ['stubDomains'] },
      ],
      errors: [],
    });
  });

  it('cleans what it can and reports the rest', () => {
    const cleanup = planMeshCleanup(
      {
        coredns: { Corefile: `# nodemesh:begin\n${corefile}` },
        'kube-dns': { stubDomains: '{"mesh":["1.1.1.1"],"a":["2.2.2.2"]}' },
      },
      'mesh',
    );
    expect(cleanup.changes).toEqual([
      { configMap: 'kube-dns', set: { stubDomains: '{"a":["2.2.2.2"]}' }, remove: [] },
    ]);
    expect(cleanup.errors.map((error) => error.path)).toEqual(['coredns.data.Corefile']);
  });

  it('plans nothing for a clean cluster', () => {
    expect(planMeshCleanup({ coredns: { Corefile: corefile } }, 'mesh')).toEqual({ changes: [], errors: [] });
  });
});
