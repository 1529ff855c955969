/**
 * dnsmasq in the role of the cluster DNS (CoreDNS on a real cluster): it answers cluster names from a hosts
 * file and forwards zones (the mesh zone, to the dns-controller) to other servers. It reads no resolv.conf
 * and no /etc/hosts, has no cache (so a test sees a changed answer at once) and listens on one address.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Place } from './cluster.js';
import { waitForPort } from './port-wait.js';
import type { ManagedProcess } from './process.js';

/** A zone dnsmasq sends elsewhere, e.g. `{ zone: 'mesh', server: '10.250.0.10', port: 5353 }`. */
export interface ForwardZone {
  readonly zone: string;
  readonly server: string;
  readonly port: number;
}

export interface ClusterDnsOptions {
  /** The address to listen on (an address of the namespace it runs in). */
  readonly listen: string;
  readonly port?: number;
  /** Names answered locally: name → IPv4 address. */
  readonly hosts?: Readonly<Record<string, string>>;
  readonly forward?: readonly ForwardZone[];
  /** Zones answered only from the hosts file (NXDOMAIN for anything else), default `cluster.local`. */
  readonly localZones?: readonly string[];
}

/** What starting needs of a cluster: kept narrow so the helper is easy to reuse. */
export interface ProcessHost {
  readonly runDir: string;
  start(
    place: Place,
    spec: { name: string; command: string; args: readonly string[] },
  ): Promise<ManagedProcess>;
}

export interface ClusterDns {
  readonly ip: string;
  readonly port: number;
  readonly process: ManagedProcess;
}

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/** The dnsmasq command line for the options (pure; paths given). */
export function dnsmasqArgs(options: ClusterDnsOptions, hostsFile: string, pidFile: string): string[] {
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--cache-size=0',
    '--log-queries',
    '--log-facility=-',
    '--user=root',
    '--group=root',
    `--pid-file=${pidFile}`,
    '--bind-interfaces',
    `--listen-address=${options.listen}`,
    `--port=${options.port ?? 53}`,
    `--addn-hosts=${hostsFile}`,
  ];
  for (const zone of options.localZones ?? ['cluster.local']) args.push(`--local=/${checkZone(zone)}/`);
  for (const f of options.forward ?? []) args.push(`--server=/${checkZone(f.zone)}/${f.server}#${f.port}`);
  return args;
}

/** The hosts file text for name → address pairs. */
export function hostsFileText(hosts: Readonly<Record<string, string>>): string {
  return Object.entries(hosts)
    .map(([name, ip]) => `${ip} ${checkZone(name)}\n`)
    .join('');
}

/** Starts dnsmasq at `place` and waits until it listens on UDP. */
export async function startClusterDns(
  host: ProcessHost,
  place: Place,
  options: ClusterDnsOptions,
): Promise<ClusterDns> {
  const hostsFile = join(host.runDir, 'cluster-dns.hosts');
  await writeFile(hostsFile, hostsFileText(options.hosts ?? {}));
  const args = dnsmasqArgs(options, hostsFile, join(host.runDir, 'cluster-dns.pid'));
  const started = await host.start(place, { name: 'cluster-dns', command: 'dnsmasq', args });
  const port = options.port ?? 53;
  await waitForPort(typeof place === 'string' ? place : place.ns, 'udp', port, { process: started });
  return { ip: options.listen, port, process: started };
}

function checkZone(zone: string): string {
  const labels = zone.replace(/\.$/, '').split('.');
  if (labels.length === 0 || !labels.every((l) => LABEL.test(l))) {
    throw new Error(`not a DNS name: ${JSON.stringify(zone)}`);
  }
  return zone.replace(/\.$/, '');
}
