import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { call, waitFor } from './helpers.js';

// The binary as built by `pnpm build` (which `pnpm test` runs first).
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid);
});

function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('nodemesh-apiserver binary', () => {
  it('prints help', async () => {
    const { output, exited } = run(['--help']);
    expect(await exited).toBe(0);
    expect(output()).toContain('Usage: nodemesh-apiserver --port N');
    expect(output()).toContain('Not a production API server');
  });

  it('exits 2 with a clear message on a bad flag', async () => {
    const { output, exited } = run(['--port', 'eighty']);
    expect(await exited).toBe(2);
    expect(output()).toContain('--port needs a number from 0 to 65535, got "eighty"');
  });

  it('serves on the printed URL and stops on SIGTERM', async () => {
    const { child, output, exited } = run(['--port', '0', '--service-cidr', '127.99.0.0/16']);
    await waitFor('listening line', () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(output()), 10_000);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1] ?? '';
    const svc = await call(url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 's' },
      spec: { ports: [{ port: 1 }] },
    });
    expect(svc.body).toMatchObject({ spec: { clusterIP: expect.stringMatching(/^127\.99\./) } });
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    expect(await exited).toBe(0);
  });
});
