/**
 * The permissions docs/cli.md lists for each command are exactly what it uses: every API call each command
 * makes (recorded by the in-memory API server's audit hook, as RBAC would see it) is covered by a line of
 * COMMAND_PERMISSIONS for that command, and every line is used.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ApiServer, type AuditCall, startApiServer } from '@nodemesh/apiserver';
import {
  COMMAND_PERMISSIONS,
  collectionPath,
  installObjects,
  type Permission,
  renderPermissions,
  runCli,
} from '@nodemesh/cli';
import { desiredStrictPolicy } from '@nodemesh/dns-controller';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../deploy/manifests.js';

let server: ApiServer;
let pod: Server;
let calls: AuditCall[] = [];

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
};

async function meshPod(name: string, component: string, port: number) {
  const created = await post('/api/v1/namespaces/nodemesh/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/part-of': 'nodemesh', 'app.kubernetes.io/component': component },
    },
    spec: {
      nodeName: 'n1',
      containers: [
        {
          name: component,
          image: 'x',
          args: ['run'],
          envFrom: [{ configMapRef: { name: 'nodemesh-mesh' } }],
          ports: [
            { name: 'admin', containerPort: port },
            { name: 'debug', containerPort: port },
          ],
        },
      ],
    },
  });
  await fetch(`${server.url}/api/v1/namespaces/nodemesh/pods/${name}/status`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...created,
      status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    }),
  });
}

beforeAll(async () => {
  server = await startApiServer({ onRequest: (call) => calls.push(call), namespaceDeletionDelayMs: 10 });
  // One process plays both components' admin and debug endpoints.
  pod = createServer((req, res) => {
    if (req.url === '/metrics') res.end('nodemesh_build_info{version="0.1.0"} 1\n');
    else if (req.url === '/debug/snapshot')
      res.end(JSON.stringify({ version: 1, http: [], tcp: [], udp: [], problems: [] }));
    else res.end('ok\n');
  });
  await new Promise<void>((resolve) => pod.listen(0, '127.0.0.1', resolve));
  const port = (pod.address() as AddressInfo).port;
  await post('/api/v1/namespaces/kube-system/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'coredns' },
    data: { Corefile: '.:53 {\n}\n' },
  });
  await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  for (const object of installObjects({ overlays: [] })) await post(collectionPath(object), object);
  await meshPod('dns-controller-0', 'dns-controller', port);
  await meshPod('node-proxy-n1', 'node-proxy', port);
  // A strict-mode NetworkPolicy the dns-controller left (docs/mtls.md): uninstall deletes it.
  await post(
    '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies',
    desiredStrictPolicy({ namespace: 'default', name: 'orders' }, { app: 'orders' }, 'nodemesh'),
  );
}, 60_000);

afterAll(async () => {
  await server.stop();
  await new Promise((resolve) => pod.close(resolve));
});

function covers(p: Permission, call: AuditCall): boolean {
  const resource = call.subresource === undefined ? call.resource : `${call.resource}/${call.subresource}`;
  if (p.apiGroup !== call.apiGroup || p.resource !== resource || !p.verbs.includes(call.verb)) return false;
  const name = call.name?.split(':')[0];
  if (p.names !== undefined && (name === undefined || !p.names.includes(name))) return false;
  switch (p.scope) {
    case 'mesh namespace':
      return call.namespace === 'nodemesh';
    case 'kube-system':
      return call.namespace === 'kube-system';
    case 'all namespaces':
    case 'cluster':
      return call.namespace === undefined;
    case 'namespace asked (-n), or all with -A':
      return true;
    case 'namespaces of strict Services':
      return call.namespace !== undefined && call.namespace !== 'nodemesh';
  }
}

const RUNS: Record<string, string[][]> = {
  check: [['check']],
  'check --pre': [['check', '--pre']],
  stat: [
    ['stat', 'svc', '-n', 'default', '--window', '1ms'],
    ['stat', 'caller', '-A', '--window', '0'],
  ],
  config: [['config', 'n1']],
  version: [['version']],
  install: [['install']],
  uninstall: [
    ['uninstall', '--timeout', '1s'],
    ['uninstall', '--crds', '--timeout', '1s'],
  ],
};

describe('the permissions of each command', () => {
  it.each(Object.keys(COMMAND_PERMISSIONS))(
    '%s: every call is granted by its table, and every line is used',
    async (command) => {
      const permissions = COMMAND_PERMISSIONS[command] ?? [];
      calls = [];
      for (const args of RUNS[command] ?? []) {
        const code = await runCli(
          ['-s', server.url, ...args],
          { out: () => {}, err: () => {}, color: false },
          { sleep: async () => {} },
        );
        expect(code, args.join(' ')).toBeLessThan(2);
      }
      const ungranted = calls.filter((call) => !permissions.some((p) => covers(p, call)));
      expect(ungranted).toEqual([]);
      const unused = permissions.filter((p) => !calls.some((call) => covers(p, call)));
      expect(unused).toEqual([]);
    },
    60_000,
  );

  it('docs/cli.md shows this table', () => {
    // The formatter pads Markdown tables: compare with runs of spaces and dashes collapsed.
    const normal = (text: string) => text.replace(/-{3,}/g, '---').replace(/[ \t]+/g, ' ');
    expect(normal(readFileSync(join(REPO_ROOT, 'docs', 'cli.md'), 'utf8'))).toContain(
      normal(renderPermissions()),
    );
  });
});
