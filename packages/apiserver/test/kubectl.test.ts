import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type ApiServer, startApiServer } from '../src/index.js';
import { call, waitFor } from './helpers.js';

const kubectlPath = '/usr/bin/kubectl';
let server: ApiServer;
let dir: string;
let kubeconfig: string;
const children: ChildProcess[] = [];

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlPath,
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 20_000, env: { PATH: process.env.PATH ?? '', HOME: dir } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function manifest(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const namespaceAndService = (port: number) => `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Service
metadata:
  name: orders
  namespace: shop
spec:
  selector:
    app: orders
  ports:
  - name: http
    port: ${port}
    targetPort: http
---
apiVersion: v1
kind: Pod
metadata:
  name: orders-1
  namespace: shop
  labels:
    app: orders
spec:
  containers:
  - name: app
    image: example/orders:1
    ports:
    - name: http
      containerPort: 8080
    env:
    - name: MODE
      value: "${port}"
`;

const workloads = (replicas: number, secondPort: string, extraEnv: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: nodemesh
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: node-proxy
  namespace: nodemesh
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: nodemesh-node-proxy
rules:
- apiGroups: [""]
  resources: [pods, services]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: nodemesh-node-proxy
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: nodemesh-node-proxy
subjects:
- kind: ServiceAccount
  name: node-proxy
  namespace: nodemesh
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-proxy
  namespace: nodemesh
spec:
  selector:
    matchLabels: {app: node-proxy}
  template:
    metadata:
      labels: {app: node-proxy}
    spec:
      serviceAccountName: node-proxy
      containers:
      - name: proxy
        image: nodemesh/node-proxy:0.1.0
        args: ["--log-level=info"]
        ports:
        - {name: http-5000, containerPort: 5000}
        - {name: ${secondPort}}
        securityContext:
          runAsNonRoot: true
          readOnlyRootFilesystem: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dns-controller
  namespace: nodemesh
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: dns-controller}
  template:
    metadata:
      labels: {app: dns-controller}
    spec:
      containers:
      - name: controller
        image: nodemesh/dns-controller:0.1.0
        env:
        - {name: A, value: "1"}
${extraEnv}---
apiVersion: v1
kind: Secret
metadata:
  name: s
  namespace: nodemesh
stringData:
  token: abc
`;

const trafficSplitCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: trafficsplits.split.smi-spec.io
spec:
  group: split.smi-spec.io
  scope: Namespaced
  names:
    kind: TrafficSplit
    listKind: TrafficSplitList
    plural: trafficsplits
    singular: trafficsplit
    shortNames: [ts]
  versions:
  - name: v1alpha4
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [service, backends]
            properties:
              service: {type: string}
              backends:
                type: array
                items:
                  type: object
                  required: [service, weight]
                  properties:
                    service: {type: string}
                    weight: {type: integer, minimum: 0}
`;

const trafficSplit = (weight: number | string) => `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata:
  name: orders-split
  namespace: shop
spec:
  service: orders
  backends:
  - service: orders-v1
    weight: 90
  - service: orders-v2
    weight: ${typeof weight === 'number' ? weight : JSON.stringify(weight)}
`;

beforeAll(async () => {
  server = await startApiServer({ serviceCidr: '127.77.0.0/16' });
  dir = await mkdtemp(join(tmpdir(), 'nodemesh-kubectl-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${server.url}
contexts:
- name: local
  context:
    cluster: local
    user: nobody
current-context: local
users:
- name: nobody
  user: {}
`,
  );
});

afterAll(async () => {
  for (const child of children)
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid);
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the in-memory API server', () => {
  it('applies a Namespace, a Service and a Pod client-side, then re-applies a change', async () => {
    const file = await manifest('app.yaml', namespaceAndService(8080));
    const first = await kubectl(['apply', '-f', file]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('namespace/shop created');
    expect(first.stdout).toContain('service/orders created');
    expect(first.stdout).toContain('pod/orders-1 created');

    await manifest('app.yaml', namespaceAndService(9090));
    const second = await kubectl(['apply', '-f', file]);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('service/orders configured');
    expect(second.stdout).toContain('pod/orders-1 configured');

    const svc = await kubectl(['get', 'service', 'orders', '-n', 'shop', '-o', 'yaml']);
    const parsed = parseYaml(svc.stdout) as { spec: { ports: { port: number }[]; clusterIP: string } };
    expect(parsed.spec.ports.map((p) => p.port)).toEqual([9090]);
    expect(parsed.spec.clusterIP).toMatch(/^127\.77\./);
    const table = await kubectl(['get', 'services', '-n', 'shop']);
    expect(table.stdout).toMatch(/NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
    expect(table.stdout).toContain(`${parsed.spec.clusterIP}`);
    const pod = parseYaml((await kubectl(['get', 'pod', 'orders-1', '-n', 'shop', '-o', 'yaml'])).stdout) as {
      spec: { containers: { env: { value: string }[] }[] };
    };
    expect(pod.spec.containers[0]?.env[0]?.value).toBe('9090');
  });

  it('applies server-side, and again with a change', async () => {
    const file = await manifest('ssa.yaml', namespaceAndService(7070));
    const result = await kubectl(['apply', '--server-side', '-f', file]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('service/orders serverside-applied');
    const svc = parseYaml(
      (await kubectl(['get', 'svc', 'orders', '-n', 'shop', '-o', 'yaml', '--show-managed-fields'])).stdout,
    ) as {
      metadata: { managedFields: { manager: string }[] };
      spec: { ports: { port: number }[] };
    };
    expect(svc.spec.ports.map((p) => p.port)).toEqual([7070]);
    expect(svc.metadata.managedFields.map((m) => m.manager)).toContain('kubectl');
  });

  it('creates an SMI CRD, waits for it, and applies custom resources both ways with schema validation', async () => {
    const crd = await kubectl(['apply', '-f', await manifest('crd.yaml', trafficSplitCrd)]);
    expect(crd.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/trafficsplits.split.smi-spec.io created',
    );
    const wait = await kubectl([
      'wait',
      '--for',
      'condition=established',
      '--timeout=10s',
      'crd/trafficsplits.split.smi-spec.io',
    ]);
    expect(wait.stdout).toContain('condition met');

    const file = await manifest('ts.yaml', trafficSplit(10));
    expect((await kubectl(['apply', '-f', file])).stdout).toContain(
      'trafficsplit.split.smi-spec.io/orders-split created',
    );
    await manifest('ts.yaml', trafficSplit(20));
    expect((await kubectl(['apply', '-f', file])).stdout).toContain('orders-split configured');
    await manifest('ts.yaml', trafficSplit(30));
    expect((await kubectl(['apply', '--server-side', '-f', file])).stdout).toContain(
      'orders-split serverside-applied',
    );
    const got = parseYaml(
      (await kubectl(['get', 'ts', 'orders-split', '-n', 'shop', '-o', 'yaml'])).stdout,
    ) as {
      spec: { backends: { weight: number }[] };
    };
    expect(got.spec.backends.map((b) => b.weight)).toEqual([90, 30]);

    const typo = await kubectl([
      'apply',
      '-f',
      await manifest('typo.yaml', trafficSplit(30).replace('service: orders\n', 'servce: orders\n')),
    ]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('unknown field "spec.servce"');

    await manifest('ts.yaml', trafficSplit('ten'));
    const bad = await kubectl(['apply', '-f', file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.backends[1].weight');
  });

  it('applies typical workload manifests (RBAC, DaemonSet, Deployment, Secret) and merges lists by key', async () => {
    const file = await manifest(
      'mesh.yaml',
      workloads(2, 'admin, containerPort: 9000', '        - {name: B, value: "2"}\n'),
    );
    const first = await kubectl(['apply', '-f', file]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(
      'clusterrolebinding.rbac.authorization.k8s.io/nodemesh-node-proxy created',
    );
    expect(first.stdout).toContain('daemonset.apps/node-proxy created');
    await manifest('mesh.yaml', workloads(3, 'metrics, containerPort: 9100', ''));
    const second = await kubectl(['apply', '-f', file]);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('deployment.apps/dns-controller configured');
    const jsonpath = async (args: string[], path: string) =>
      (await kubectl(['get', ...args, '-o', `jsonpath=${path}`])).stdout;
    expect(await jsonpath(['deploy', 'dns-controller', '-n', 'nodemesh'], '{.spec.replicas}')).toBe('3');
    expect(
      JSON.parse(
        await jsonpath(
          ['deploy', 'dns-controller', '-n', 'nodemesh'],
          '{.spec.template.spec.containers[0].env}',
        ),
      ),
    ).toEqual([{ name: 'A', value: '1' }]);
    expect(
      JSON.parse(
        await jsonpath(['ds', 'node-proxy', '-n', 'nodemesh'], '{.spec.template.spec.containers[0].ports}'),
      ),
    ).toEqual([
      { containerPort: 5000, name: 'http-5000' },
      { containerPort: 9100, name: 'metrics' },
    ]);
    expect(await jsonpath(['secret', 's', '-n', 'nodemesh'], '{.data.token}')).toBe(
      Buffer.from('abc').toString('base64'),
    );
  });

  it('streams a change with get -w', async () => {
    const child = spawn(
      kubectlPath,
      ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-n', 'shop', '-w', '--output-watch-events'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
      },
    );
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    try {
      // Give the watch a moment to open: the change must arrive as a watch event, not in the initial list.
      await waitFor('kubectl to open its watch', () => server.openWatches > 0, 10_000);
      // Made over plain HTTP: `kubectl create configmap` sends protobuf, which this server does not speak.
      const created = await call(server.url, 'POST', '/api/v1/namespaces/shop/configmaps', {
        metadata: { name: 'settings' },
        data: { a: 'b' },
      });
      expect(created.status).toBe(201);
      await waitFor('ADDED settings from kubectl get -w', () => /ADDED\s+settings/.test(out), 10_000);
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid);
    }
  });

  it('deletes', async () => {
    const deleted = await kubectl(['delete', 'pod', 'orders-1', '-n', 'shop']);
    expect(deleted.stdout).toContain('pod "orders-1" deleted');
    const missing = await kubectl(['get', 'pod', 'orders-1', '-n', 'shop']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
    const crd = await kubectl(['delete', 'crd', 'trafficsplits.split.smi-spec.io']);
    expect(crd.stdout).toContain('deleted');
    const gone = await kubectl(['get', 'trafficsplits', '-n', 'shop']);
    expect(gone.code).not.toBe(0);
    // Everything in one go, namespace first, as `kubectl delete -f` does against a real cluster.
    const all = await kubectl(['delete', '-f', join(dir, 'app.yaml')]);
    expect(all.stderr).toContain('pods "orders-1" not found');
    expect(all.stdout).toContain('namespace "shop" deleted');
    expect(all.stdout).toContain('service "orders" deleted');
    const waited = await kubectl(['wait', '--for=delete', 'namespace/shop', '--timeout=10s']);
    expect(waited.code).toBe(0);
    expect((await kubectl(['get', 'namespace', 'shop'])).code).not.toBe(0);
  });
});

describe('kubectl create with protobuf bodies, and the annotation size limit', () => {
  it('creates a namespace, a serviceaccount, a configmap and a secret (kubectl sends them as protobuf)', async () => {
    const steps = [
      [['create', 'namespace', 'team'], 'namespace/team created'],
      [['create', 'serviceaccount', 'builder', '-n', 'team'], 'serviceaccount/builder created'],
      [
        ['create', 'configmap', 'settings', '-n', 'team', '--from-literal=mode=fast'],
        'configmap/settings created',
      ],
      [
        ['create', 'secret', 'generic', 'token', '-n', 'team', '--from-literal=key=s3cr3t'],
        'secret/token created',
      ],
    ] as const;
    for (const [args, said] of steps) {
      const result = await kubectl([...args]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe(said);
    }
    const configMap = parseYaml(
      (await kubectl(['get', 'configmap', 'settings', '-n', 'team', '-o', 'yaml'])).stdout,
    ) as {
      data: Record<string, string>;
    };
    expect(configMap.data).toEqual({ mode: 'fast' });
    const secret = parseYaml(
      (await kubectl(['get', 'secret', 'token', '-n', 'team', '-o', 'yaml'])).stdout,
    ) as {
      data: Record<string, string>;
    };
    expect(Buffer.from(secret.data.key ?? '', 'base64').toString()).toBe('s3cr3t');
    expect((await kubectl(['get', 'serviceaccount', 'builder', '-n', 'team'])).code).toBe(0);
    // A kind kubectl sends as protobuf that this server does not read: a clear 415, nothing stored.
    const deployment = await kubectl(['create', 'deployment', 'web', '-n', 'team', '--image=nginx']);
    expect(deployment.code).not.toBe(0);
    expect(deployment.stderr).toContain('send Deployment as application/json');
  });

  it('refuses annotations of more than 256 KiB in all, as Kubernetes does (422)', async () => {
    const annotated = (name: string, bytes: number) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: team
  annotations:
    example.com/blob: "${'x'.repeat(bytes)}"
`;
    // Under the limit: created (kubectl create adds no last-applied annotation).
    const fits = await kubectl(['create', '-f', await manifest('fits.yaml', annotated('fits', 200 * 1024))]);
    expect(fits.stdout.trim()).toBe('configmap/fits created');
    const big = await kubectl(['create', '-f', await manifest('big.yaml', annotated('big', 300 * 1024))]);
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain(
      'The ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    );
    // kubectl apply keeps a copy of the object in an annotation: 150 KiB of annotation becomes ~300 KiB.
    const applied = await kubectl([
      'apply',
      '-f',
      await manifest('applied.yaml', annotated('applied', 150 * 1024)),
    ]);
    expect(applied.stderr).toContain('metadata.annotations: Too long: may not be more than 262144 bytes');
    // The Status, as client libraries read it.
    const status = await call(server.url, 'POST', '/api/v1/namespaces/team/configmaps', {
      metadata: { name: 'direct', annotations: { a: 'x'.repeat(256 * 1024) } },
    });
    expect(status.status).toBe(422);
    expect(status.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      message:
        'ConfigMap "direct" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
      details: {
        name: 'direct',
        kind: 'ConfigMap',
        causes: [
          {
            reason: 'FieldValueTooLong',
            message: 'Too long: may not be more than 262144 bytes',
            field: 'metadata.annotations',
          },
        ],
      },
    });
    // Exactly the limit (key and value bytes together) is allowed.
    const edge = await call(server.url, 'POST', '/api/v1/namespaces/team/configmaps', {
      metadata: { name: 'edge', annotations: { a: 'x'.repeat(256 * 1024 - 1) } },
    });
    expect(edge.status).toBe(201);
  });
});
