/** The command line's contract without a mesh: help, usage errors, exit codes, and what needs no cluster. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/program.js';

function terminal() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    terminal: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), color: false },
  };
}

async function cli(args: string[]) {
  const t = terminal();
  const code = await runCli(args, t.terminal, { sleep: async () => {} });
  return { code, out: t.out.join(''), err: t.err.join('') };
}

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server.stop();
});

describe('nodemesh (no mesh needed)', () => {
  it('shows help with examples and exit codes, exit 0', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Examples:');
    expect(help.out).toContain('3  the cluster could not be used');
    const stat = await cli(['stat', '--help']);
    expect(stat.out).toContain('nodemesh stat svc -n default');
  });

  it('exits 2 on a wrong command line', async () => {
    expect((await cli(['nope'])).code).toBe(2);
    expect((await cli(['stat'])).code).toBe(2);
    const kind = await cli(['-s', server.url, 'stat', 'pods']);
    expect(kind).toMatchObject({ code: 2 });
    expect(kind.err).toContain('stat takes svc, ns or caller');
    expect((await cli(['-s', server.url, 'check', '-o', 'xml'])).code).toBe(2);
    expect((await cli(['-s', server.url, 'config', 'n1', '--debug-port', '0'])).code).toBe(2);
    expect((await cli(['--kubeconfig', '/nonexistent', 'check'])).code).toBe(2);
  });

  it('exits 3 when the cluster cannot be reached or the context does not exist', async () => {
    const down = await cli(['-s', 'http://127.0.0.1:1', 'check']);
    expect(down.code).toBe(3);
    expect(down.err).toContain('cannot reach the API server http://127.0.0.1:1');
    const file = join(tmpdir(), `nodemesh-cli-${process.pid}.kubeconfig`);
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: ctx\n`,
    );
    expect((await cli(['--kubeconfig', file, '--context', 'other', 'version'])).code).toBe(2);
    const version = await cli(['--kubeconfig', file, '--context', 'ctx', 'version', '-o', 'json']);
    expect(JSON.parse(version.out)).toMatchObject({
      client: '0.1.0',
      server: expect.stringMatching(/^v1\./),
      components: [],
    });
  });

  it('check fails (exit 1) on a cluster without Nodemesh, naming the install as the fix', async () => {
    const result = await cli(['-s', server.url, 'check']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('✘ SMI CRDs missing');
    expect(result.out).toContain('fix: nodemesh install | kubectl apply -f -');
  });

  it('check --pre passes on a cluster that can take Nodemesh', async () => {
    await fetch(`${server.url}/api/v1/namespaces/kube-system/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'coredns' },
        data: { Corefile: '.:53 {\n}\n' },
      }),
    });
    const result = await cli(['-s', server.url, 'check', '--pre', '-o', 'json']);
    expect(result.code).toBe(0);
    const { summary } = JSON.parse(result.out) as { summary: { failed: number; passed: number } };
    expect(summary).toMatchObject({ failed: 0, passed: 4 });
  });

  it('version --client needs no cluster', async () => {
    expect(await cli(['version', '--client'])).toMatchObject({ code: 0, out: 'client: 0.1.0\n' });
  });
});
