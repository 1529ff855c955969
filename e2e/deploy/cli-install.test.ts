/**
 * `nodemesh install` renders the same objects as deploy/ (the kustomize sources the test expander and
 * kubectl kustomize read), for the default install and each overlay; the output applies with kubectl; and
 * `nodemesh uninstall` removes it again, leaving the cluster DNS byte for byte as it was.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { objectKey as cliKey, installObjects, runCli } from '@nodemesh/cli';
import { addMeshBlock } from '@nodemesh/dns-controller';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEPLOY_DIR,
  expandKustomization,
  type KubeObject,
  OVERLAYS,
  objectKey,
  REPO_ROOT,
} from './manifests.js';

const sorted = (objects: readonly KubeObject[]) =>
  [...objects].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));

describe('nodemesh install renders deploy/', () => {
  it('the default install: the objects of deploy/kustomization.yaml, namespace and CRDs first', () => {
    const rendered = installObjects({ overlays: [] }) as unknown as KubeObject[];
    expect(sorted(rendered)).toEqual(sorted(expandKustomization(DEPLOY_DIR)));
    expect(rendered[0]?.kind).toBe('Namespace');
    expect(rendered[1]?.kind).toBe('CustomResourceDefinition');
  });

  it.each(OVERLAYS)('--%s: the objects of overlay %s', (overlay) => {
    const rendered = installObjects({ overlays: [overlay] }) as unknown as KubeObject[];
    expect(sorted(rendered)).toEqual(sorted(expandKustomization(join(DEPLOY_DIR, 'overlays', overlay))));
  });

  it('combines overlays: both patches apply', () => {
    const rendered = installObjects({ overlays: ['access-control', 'kube-dns'] });
    const data = (name: string) =>
      rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data;
    expect(data('nodemesh-node-proxy')).toMatchObject({ NODEMESH_ACCESS_CONTROL: 'true' });
    expect(data('nodemesh-dns-controller')).toMatchObject({ NODEMESH_CLUSTER_DNS: 'kube-dns' });
    expect(new Set(rendered.map(cliKey)).size).toBe(rendered.length);
  });
});

const hasKubectl = existsSync('/usr/bin/kubectl');
const built = existsSync(join(REPO_ROOT, 'packages/cli/dist/bin.js'));

describe.skipIf(!hasKubectl || !built)(
  'nodemesh install | kubectl apply -f -, then nodemesh uninstall',
  () => {
    let server: ApiServer;
    const corefile = '.:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n';
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const code = await runCli(['-s', server.url, ...args], {
        out: (t) => out.push(t),
        err: (t) => out.push(t),
        color: false,
      });
      return { code, out: out.join('') };
    };
    const get = async (path: string) => {
      const response = await fetch(`${server.url}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      server = await startApiServer({ namespaceDeletionDelayMs: 10 });
      await fetch(`${server.url}/api/v1/namespaces/kube-system/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'coredns' },
          data: { Corefile: corefile },
        }),
      });
    });
    afterAll(async () => {
      await server.stop();
    });

    // Asynchronously: the API server runs in this process and must keep answering while kubectl works.
    it('applies with kubectl', async () => {
      const bin = join(REPO_ROOT, 'packages/cli/dist/bin.js');
      const { stdout: output } = await promisify(execFile)(
        'sh',
        ['-c', `node "${bin}" install --access-control | kubectl --server "${server.url}" apply -f -`],
        {
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect(output).toContain('daemonset.apps/nodemesh-node-proxy created');
      expect(output).toContain(
        'customresourcedefinition.apiextensions.k8s.io/trafficsplits.split.smi-spec.io created',
      );
    }, 150_000);

    it('uninstall removes the cluster DNS block byte for byte, the shadows, and the install; the CRDs stay', async () => {
      // What a running dns-controller would have left: its block in the Corefile and a shadow Service.
      const dnsService = await get('/api/v1/namespaces/nodemesh/services/nodemesh-dns');
      const address = String((dnsService.body.spec as { clusterIP: string }).clusterIP);
      const added = addMeshBlock(corefile, { domain: 'mesh', address, port: 53 });
      if (!added.ok) throw new Error('cannot add the block');
      const coredns = await get('/api/v1/namespaces/kube-system/configmaps/coredns');
      await fetch(`${server.url}/api/v1/namespaces/kube-system/configmaps/coredns`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...coredns.body, data: { Corefile: added.value.corefile } }),
      });
      await fetch(`${server.url}/api/v1/namespaces/nodemesh/services`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'orders-1a2b',
            labels: {
              'app.kubernetes.io/part-of': 'nodemesh',
              'nodemesh.io/shadow-of-namespace': 'shop',
              'nodemesh.io/shadow-of-name': 'orders',
            },
          },
          spec: { ports: [{ name: 'http', port: 80, targetPort: 5000 }] },
        }),
      });

      const dry = await cli(['uninstall', '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.out).toContain(
        '- would delete Deployment nodemesh/nodemesh-dns-controller and wait for its pods to go',
      );
      expect((await get('/api/v1/namespaces/nodemesh/services/orders-1a2b')).status).toBe(200);

      const result = await cli(['uninstall']);
      expect(result.out).toContain('✔ the cluster DNS no longer forwards "mesh"');
      expect(result.out).toContain('✔ deleted 1 shadow Service');
      expect(result.out).toContain('✔ deleted Namespace nodemesh');
      expect(result.code).toBe(0);
      expect(
        ((await get('/api/v1/namespaces/kube-system/configmaps/coredns')).body.data as { Corefile: string })
          .Corefile,
      ).toBe(corefile);
      expect((await get('/apis/rbac.authorization.k8s.io/v1/clusterroles/nodemesh-node-proxy')).status).toBe(
        404,
      );
      expect(
        (await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trafficsplits.split.smi-spec.io'))
          .status,
      ).toBe(200);

      expect((await cli(['uninstall', '--crds'])).code).toBe(0);
      expect(
        (await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trafficsplits.split.smi-spec.io'))
          .status,
      ).toBe(404);
    });
  },
);
