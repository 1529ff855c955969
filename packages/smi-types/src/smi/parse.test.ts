import { describe, expect, it } from 'vitest';
import { SMI_EXAMPLES } from './examples.js';
import { parseSmiResource, SMI_RESOURCE_TYPES } from './parse.js';

describe('parseSmiResource', () => {
  it.each(SMI_EXAMPLES.map((e) => [`${e.apiVersion} ${e.kind}`, e] as const))('dispatches %s', (_, e) => {
    const result = parseSmiResource(e.object);
    expect(result.ok && [result.value.apiVersion, result.value.kind]).toEqual([e.apiVersion, e.kind]);
  });

  it('has an example of every served type', () => {
    const served = SMI_RESOURCE_TYPES.map((t) => `${t.apiVersion} ${t.kind}`);
    expect(SMI_EXAMPLES.map((e) => `${e.apiVersion} ${e.kind}`)).toEqual(served);
  });

  it('names the accepted types when it meets an unknown one', () => {
    const result = parseSmiResource({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit' });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: '',
          message:
            'is not an SMI resource Nodemesh serves: apiVersion "split.smi-spec.io/v1alpha1", kind "TrafficSplit"; accepted: ' +
            'access.smi-spec.io/v1alpha2 TrafficTarget, access.smi-spec.io/v1alpha3 TrafficTarget, ' +
            'specs.smi-spec.io/v1alpha3 HTTPRouteGroup, specs.smi-spec.io/v1alpha4 HTTPRouteGroup, ' +
            'specs.smi-spec.io/v1alpha3 TCPRoute, specs.smi-spec.io/v1alpha4 TCPRoute, specs.smi-spec.io/v1alpha4 UDPRoute, ' +
            'split.smi-spec.io/v1alpha2 TrafficSplit, split.smi-spec.io/v1alpha3 TrafficSplit, split.smi-spec.io/v1alpha4 TrafficSplit',
        },
      ],
    });
  });

  it('rejects UDPRoute in a version that has none', () => {
    const result = parseSmiResource({ apiVersion: 'specs.smi-spec.io/v1alpha3', kind: 'UDPRoute' });
    expect(result.ok).toBe(false);
  });

  it('rejects what is not an object', () => {
    expect(parseSmiResource([])).toEqual({
      ok: false,
      errors: [{ path: '', message: 'must be an object, got a list' }],
    });
    expect(parseSmiResource(null)).toEqual({
      ok: false,
      errors: [{ path: '', message: 'must be an object, got null' }],
    });
  });
});
