/** No object under deploy/ has a field its Kubernetes type does not declare, or a value of the wrong type. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLEANUP_JOB_FILE,
  CRDS_FILE,
  crdsPresent,
  DEPLOY_DIR,
  expandKustomization,
  type KubeObject,
  OVERLAYS,
  readYamlObjects,
} from './manifests.js';
import { typedFieldErrors } from './typed-fields.js';

describe('fields of every object', () => {
  it('are declared by its Kubernetes type (default install, overlays, cleanup Job, PodMonitors, CRDs)', () => {
    const objects: KubeObject[] = [
      ...expandKustomization(DEPLOY_DIR, { withoutCrds: true }),
      ...OVERLAYS.flatMap((o) =>
        expandKustomization(join(DEPLOY_DIR, 'overlays', o), { withoutCrds: true }).filter(
          (x) => x.kind === 'ConfigMap',
        ),
      ),
      ...readYamlObjects(CLEANUP_JOB_FILE),
      ...readYamlObjects(join(DEPLOY_DIR, 'prometheus', 'podmonitors.yaml')),
      ...(crdsPresent() ? readYamlObjects(CRDS_FILE) : []),
    ];
    expect(typedFieldErrors(objects)).toEqual([]);
  }, 60_000);

  it('reports a misspelt field and a mistyped value (the first problem of each object)', () => {
    const pod = (container: Record<string, unknown>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: String(container.name) },
      spec: { selector: {}, template: { spec: { containers: [container] } } },
    });
    const errors = typedFieldErrors([
      pod({ name: 'misspelt', securityContext: { readOnlyRootFileSystem: true } }),
      pod({ name: 'mistyped', ports: [{ containerPort: '9090' }] }),
    ]);
    expect(errors).toEqual([
      expect.stringMatching(/^apps\/v1\/DaemonSet\/\/misspelt: .*'"readOnlyRootFileSystem"' does not exist/),
      expect.stringMatching(
        /^apps\/v1\/DaemonSet\/\/mistyped: Type 'string' is not assignable to type 'number'/,
      ),
    ]);
  }, 60_000);
});
