import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig, parseServerUrl } from './kube-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKubeConfig', () => {
  it('uses a plain server URL without credentials in local mode', () => {
    const loaded = loadKubeConfig({ server: 'http://127.0.0.1:8080/' });
    expect(loaded.source).toBe('server');
    expect(loaded.server).toBe('http://127.0.0.1:8080');
    expect(loaded.config.getCurrentCluster()?.server).toBe('http://127.0.0.1:8080');
    expect(loaded.config.getCurrentUser()?.token).toBeUndefined();
  });

  it('rejects malformed server URLs with a message saying what is wrong', () => {
    expect(() => parseServerUrl('127.0.0.1:8080')).toThrow(/http or https|must be a URL/);
    expect(() => parseServerUrl('ftp://127.0.0.1')).toThrow(/http or https/);
    expect(() => parseServerUrl('http://u:p@127.0.0.1')).toThrow(/credentials/);
    expect(() => parseServerUrl('not a url')).toThrow(/must be a URL/);
  });

  it('loads a kubeconfig file', () => {
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
    const loaded = loadKubeConfig({ kubeconfig: file });
    expect(loaded).toMatchObject({ source: 'kubeconfig', server: 'https://127.0.0.1:6443' });
  });

  it('names a missing kubeconfig file', () => {
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'absent') })).toThrow(/does not exist/);
  });

  it('explains what to pass when not in a pod', () => {
    expect(() => loadKubeConfig({ env: {}, serviceAccountTokenPath: join(dir, 'absent') })).toThrow(
      /--server|--kubeconfig/,
    );
  });
});
