/**
 * The packet capture in the hub namespace (e2e/harness/capture.ts), proven with plain servers: a plaintext
 * HTTP call between nodes shows its marker and its HTTP, a TLS call (openssl s_server) shows TLS records and
 * neither. Runs only inside the isolated runner that multi-node.test.ts starts.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertIsolatedRunner,
  Cluster,
  curl,
  findLeftovers,
  judgeCapture,
  parseIdentity,
  removeStaleRuns,
  runCommand,
  runQuery,
  startCapture,
  startIdentityServer,
  waitForPort,
} from '../harness/index.js';

const NO_LEFTOVERS = { namespaces: [], links: [], processes: [], files: [] };
const made = { inodes: [] as number[], pids: [] as number[] };
const WEB_HTTP = 8080;
const TLS_PORT = 8443;

beforeAll(async () => {
  await assertIsolatedRunner();
  await removeStaleRuns();
});

afterAll(async () => {
  const reportDir = process.env.NMT_REPORT_DIR;
  if (reportDir)
    await writeFile(
      join(reportDir, `made-${process.pid}.json`),
      JSON.stringify({ pid: process.pid, ...made }),
    );
  expect(await findLeftovers(runQuery(process.pid, made.inodes, made.pids))).toEqual(NO_LEFTOVERS);
});

describe('a capture inside the bridge namespace', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create();
    const web = await cluster.addPod('node-c', 'web');
    const tls = await cluster.addPod('node-b', 'tls');
    await cluster.addPod('node-a', 'client');
    await startIdentityServer(cluster, web, { httpPort: WEB_HTTP });
    const key = join(cluster.runDir, 'tls.key');
    const cert = join(cluster.runDir, 'tls.crt');
    const made = await runCommand('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=tls',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const server = await cluster.start(tls, {
      name: 'openssl-s_server',
      command: 'openssl',
      args: ['s_server', '-accept', String(TLS_PORT), '-cert', cert, '-key', key, '-www', '-naccept', '5'],
    });
    await waitForPort(tls.ns, 'tcp', TLS_PORT, { process: server });
  });

  afterAll(async () => {
    if (!cluster) return;
    const query = cluster.leftoverQuery();
    made.inodes.push(...(query.inodes ?? []));
    made.pids.push(...(query.pids ?? []));
    expect(await cluster.teardown()).toEqual([]);
    expect(await findLeftovers(query)).toEqual(NO_LEFTOVERS);
  });

  it('shows plaintext HTTP and its marker, and TLS records without it', async () => {
    const marker = `nm-marker-${randomBytes(8).toString('hex')}`;
    const client = cluster.pod('client');
    const capture = await startCapture(cluster, { maxMs: 20_000 });
    const plain = await curl(client.ns, `http://${cluster.pod('web').ip}:${WEB_HTTP}/${marker}`, {
      args: ['--data', marker],
    });
    expect(plain.code, plain.stderr).toBe(0);
    expect(parseIdentity(plain.stdout).path).toBe(`/${marker}`);
    const secret = await curl(client.ns, `https://${cluster.pod('tls').ip}:${TLS_PORT}/${marker}`, {
      // s_server -www answers GET only: the marker goes in the path and a header.
      args: ['-k', '-H', `x-marker: ${marker}`],
    });
    expect(secret.code, secret.stderr).toBe(0);
    const segments = await capture.stop();
    expect(capture.process.exited()).toBeDefined();

    const verdict = judgeCapture(segments, marker);
    const web = `${cluster.pod('web').ip}:${WEB_HTTP}`;
    const tls = `${cluster.pod('tls').ip}:${TLS_PORT}`;
    const toWeb = verdict.markerIn.filter((flow) => flow.includes(web));
    // Request (path and body) and response (the identity server echoes the path): both directions.
    expect(toWeb, JSON.stringify(verdict.markerIn)).toHaveLength(2);
    expect(verdict.plaintextHttp.filter((flow) => flow.includes(web))).toHaveLength(2);
    expect(verdict.markerIn.filter((flow) => flow.includes(tls))).toEqual([]);
    expect(verdict.plaintextHttp.filter((flow) => flow.includes(tls))).toEqual([]);
    const tlsFlows = [...verdict.tls].filter(([flow]) => flow.includes(tls));
    expect(tlsFlows).toHaveLength(2);
    for (const [, records] of tlsFlows) expect(records.applicationData).toBeGreaterThan(0);
  });
});
