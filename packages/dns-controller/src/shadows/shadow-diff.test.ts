import {
  DEFAULT_MESH_DEFAULTS,
  desiredShadowService,
  readUserService,
  type ShadowServiceManifest,
} from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { shadowDiffers, shadowUpdateBody } from './shadow-diff.js';

const user = readUserService({
  metadata: { namespace: 'shop', name: 'orders' },
  spec: { ports: [{ name: 'web', port: 80 }] },
});
if (!user.ok) throw new Error('bad fixture');
const desired = desiredShadowService(
  user.value,
  DEFAULT_MESH_DEFAULTS,
  { allocations: [] },
  { meshNamespace: 'nodemesh' },
);

/** The desired shadow as the API server stores it: defaults and fields of its own added. */
const stored = () => ({
  ...desired,
  metadata: {
    ...desired.metadata,
    resourceVersion: '9',
    uid: 'u',
    labels: { ...desired.metadata.labels, team: 'a' },
  },
  spec: {
    ...desired.spec,
    clusterIP: '10.96.0.9',
    clusterIPs: ['10.96.0.9'],
    sessionAffinity: 'None',
    ports: desired.spec.ports.map((p) => ({ ...p })),
  },
});

describe('shadowDiffers', () => {
  it('ignores what the API server and others add', () => {
    expect(shadowDiffers(stored(), desired)).toBe(false);
  });

  it('sees a changed port, selector, policy or label of ours', () => {
    const ports = stored();
    ports.spec.ports[0] = { name: 'web', protocol: 'TCP', port: 80, targetPort: 5001 };
    expect(shadowDiffers(ports, desired)).toBe(true);
    const policy = { ...stored(), spec: { ...stored().spec, internalTrafficPolicy: 'Cluster' } };
    expect(shadowDiffers(policy, desired)).toBe(true);
    const selector = { ...stored(), spec: { ...stored().spec, selector: { app: 'x' } } };
    expect(shadowDiffers(selector, desired)).toBe(true);
    expect(shadowDiffers({}, desired)).toBe(true);
  });

  it('sees a changed set of ServiceAccounts, and one that should no longer be there', () => {
    const withAccounts = (manifest: ShadowServiceManifest, value: string) => ({
      ...manifest,
      metadata: {
        ...manifest.metadata,
        annotations: { ...manifest.metadata.annotations, 'nodemesh.io/service-accounts': value },
      },
    });
    const wanted = withAccounts(desired, 'a,b');
    expect(shadowDiffers(withAccounts(stored(), 'a,b'), wanted)).toBe(false);
    expect(shadowDiffers(withAccounts(stored(), 'a'), wanted)).toBe(true);
    expect(shadowDiffers(stored(), wanted)).toBe(true);
    expect(shadowDiffers(withAccounts(stored(), ''), desired)).toBe(true);
    const body = shadowUpdateBody(withAccounts(stored(), 'a'), desired);
    expect(asAnnotations(body)).toEqual({ 'nodemesh.io/traffic-type': 'http' });
    expect(shadowDiffers(body, desired)).toBe(false);
    expect(asAnnotations(shadowUpdateBody(stored(), wanted))['nodemesh.io/service-accounts']).toBe('a,b');
  });
});

const asAnnotations = (body: Record<string, unknown>) =>
  (body.metadata as { annotations: Record<string, string> }).annotations;

describe('shadowUpdateBody', () => {
  it('lays the desired fields over the stored object', () => {
    const current = { ...stored(), spec: { ...stored().spec, internalTrafficPolicy: 'Cluster' } };
    const body = shadowUpdateBody(current, desired) as ReturnType<typeof stored>;
    expect(body.metadata.resourceVersion).toBe('9');
    expect(body.metadata.labels.team).toBe('a');
    expect(body.spec.clusterIP).toBe('10.96.0.9');
    expect(body.spec.internalTrafficPolicy).toBe('Local');
    expect(shadowDiffers(body, desired)).toBe(false);
  });
});
