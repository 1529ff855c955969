/**
 * Client certificates the mTLS suite makes itself with openssl (on the machine, no network), to ask a
 * destination node-proxy's tunnel port what it accepts: one from a CA of the test's own (not the mesh's), and
 * one from the mesh's own issuer (its Secret, read from the in-memory API server) for a ServiceAccount of the
 * test's choosing. Each certificate names one SPIFFE ID as a critical URI SAN, as the mesh's do.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeFailure, runCommand } from '../../harness/index.js';

export interface ClientCertificate {
  /** PEM: the leaf, then its issuer. */
  readonly cert: string;
  readonly key: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  const result = await runCommand('openssl', args, { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`openssl ${args[0]}: ${describeFailure(result)}`);
}

/** A self-signed CA (P-256) in `dir` as `<name>.crt` and `<name>.key`. */
export async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/O=nodemesh-e2e/CN=${name}`,
    '-days',
    '1',
    '-keyout',
    key,
    '-out',
    cert,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

/** A leaf for `spiffeId` signed by the CA at `ca`, written as `<name>.crt` (leaf + CA) and `<name>.key`. */
export async function makeClientCertificate(
  dir: string,
  name: string,
  ca: { readonly cert: string; readonly key: string },
  spiffeId: string,
): Promise<ClientCertificate> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const leaf = join(dir, `${name}.leaf.crt`);
  const ext = join(dir, `${name}.ext`);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await openssl(['req', '-new', '-key', key, '-subj', '/O=nodemesh-e2e', '-out', csr]);
  await writeFile(
    ext,
    [
      `subjectAltName=critical,URI:${spiffeId}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth,serverAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    leaf,
  ]);
  const cert = join(dir, `${name}.crt`);
  await writeFile(cert, `${await readFile(leaf, 'utf8')}${await readFile(ca.cert, 'utf8')}`);
  return { cert, key };
}
