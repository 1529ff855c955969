import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../annotations/duration.js';
import { parseServiceAnnotations } from '../annotations/parse-service-annotations.js';
import { DEFAULT_MESH_DEFAULTS } from '../annotations/service-config.js';
import { parseShadowService } from './parse-shadow-service.js';
import { shadowOfFromLabels } from './shadow-labels.js';
import { readUserService } from './user-service.js';

/** Objects shaped like Services, with any value in any field, and anything at all. */
const serviceLike = fc.record(
  {
    metadata: fc.record(
      {
        namespace: fc.anything(),
        name: fc.anything(),
        labels: fc.anything(),
        annotations: fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())),
        resourceVersion: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    spec: fc.record(
      {
        type: fc.anything(),
        clusterIP: fc.anything(),
        clusterIPs: fc.anything(),
        selector: fc.anything(),
        ports: fc.oneof(
          fc.anything(),
          fc.array(fc.dictionary(fc.constantFrom('name', 'port', 'protocol', 'targetPort'), fc.anything())),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

describe('validators', () => {
  it('never throw, whatever they are given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), serviceLike), (input) => {
        expect(() => readUserService(input)).not.toThrow();
        expect(() => parseShadowService(input)).not.toThrow();
        expect(() => parseServiceAnnotations(input, DEFAULT_MESH_DEFAULTS)).not.toThrow();
        expect(() => shadowOfFromLabels(input)).not.toThrow();
        expect(() => parseDuration(input as string)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
