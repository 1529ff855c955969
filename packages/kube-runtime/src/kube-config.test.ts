import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig, parseServerUrl } from './kube-config.js';
import { inClusterConnection, requestJson } from './kube-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKubeConfig', () => {
  it('uses a plain server URL without credentials in local mode', async () => {
    const loaded = await loadKubeConfig({ server: 'http://127.0.0.1:8080/' });
    expect(loaded.source).toBe('server');
    expect(loaded.server).toBe('http://127.0.0.1:8080');
    expect(loaded.config.getCurrentCluster()?.server).toBe('http://127.0.0.1:8080');
    const options: RequestOptions = {};
    await loaded.config.applyToHTTPSOptions(options);
    expect(options).toEqual({});
  });

  it('rejects malformed server URLs with a message saying what is wrong', () => {
    expect(() => parseServerUrl('127.0.0.1:8080')).toThrow(/http or https|must be a URL/);
    expect(() => parseServerUrl('ftp://127.0.0.1')).toThrow(/http or https/);
    expect(() => parseServerUrl('http://u:p@127.0.0.1')).toThrow(/credentials/);
    expect(() => parseServerUrl('not a url')).toThrow(/must be a URL/);
  });

  it('loads a kubeconfig file', async () => {
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
        'users: [{name: u, user: {}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const loaded = await loadKubeConfig({ kubeconfig: file });
    expect(loaded).toMatchObject({ source: 'kubeconfig', server: 'https://127.0.0.1:6443' });
  });

  it('names a missing kubeconfig file', async () => {
    await expect(loadKubeConfig({ kubeconfig: join(dir, 'absent') })).rejects.toThrow(/does not exist/);
  });

  it('explains what to pass when not in a pod', async () => {
    await expect(loadKubeConfig({ env: {}, serviceAccountTokenPath: join(dir, 'absent') })).rejects.toThrow(
      /--server|--kubeconfig/,
    );
  });

  it('uses the service account in a pod: the API server of the environment, the token and the CA', async () => {
    const token = join(dir, 'token');
    const ca = join(dir, 'ca.crt');
    writeFileSync(token, 'first-token\n');
    writeFileSync(ca, 'not really a CA');
    const loaded = await loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountTokenPath: token,
      serviceAccountCaPath: ca,
    });
    expect(loaded).toMatchObject({ source: 'in-cluster', server: 'https://[fd00::1]:443' });
    const options: RequestOptions = { headers: { accept: 'application/json' } };
    await loaded.config.applyToHTTPSOptions(options);
    expect(options.headers).toEqual({ accept: 'application/json', authorization: 'Bearer first-token' });
    expect(String(options.ca)).toBe('not really a CA');
  });
});

describe('inClusterConnection', () => {
  it('reads the token again once a minute, as the kubelet rotates it', async () => {
    const token = join(dir, 'rotating');
    writeFileSync(token, 'one');
    writeFileSync(join(dir, 'ca'), 'ca');
    let now = 0;
    const connection = inClusterConnection({
      host: '10.96.0.1',
      port: '443',
      tokenPath: token,
      caPath: join(dir, 'ca'),
      now: () => now,
    });
    const bearer = async () => {
      const options: RequestOptions = {};
      await connection.applyToHTTPSOptions(options);
      return (options.headers as Record<string, string>).authorization;
    };
    expect(await bearer()).toBe('Bearer one');
    writeFileSync(token, 'two');
    now = 59_000;
    expect(await bearer()).toBe('Bearer one');
    now = 60_000;
    expect(await bearer()).toBe('Bearer two');
  });
});

describe('requestJson', () => {
  it('sends JSON with the credentials and maps error answers to their status', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''}`);
      if (req.url === '/missing') res.writeHead(404).end(JSON.stringify({ message: 'not here' }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { config } = await loadKubeConfig({ server: url });
      expect(
        await requestJson(config, 'PATCH', '/x', { a: 1 }, { contentType: 'application/merge-patch+json' }),
      ).toEqual({
        ok: true,
      });
      await expect(requestJson(config, 'GET', '/missing')).rejects.toMatchObject({
        statusCode: 404,
        message: expect.stringContaining('not here'),
      });
      expect(seen).toEqual(['PATCH /x application/merge-patch+json', 'GET /missing ']);
    } finally {
      server.close();
    }
  });
});
