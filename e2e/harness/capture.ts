/**
 * A packet capture inside the hub namespace (the node network's bridge): tcpdump on every interface there,
 * so it sees each frame between nodes and the control plane, written to a pcap file in the cluster's run
 * directory. Bounded in packets (`-c`) and time (stopped by PID when the limit passes); started with
 * `cluster.start`, so teardown stops it too, and the file goes with the run directory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { waitForLog } from './log-wait.js';
import { type TcpSegment, tcpSegments } from './pcap.js';
import type { ManagedProcess } from './process.js';

export interface CaptureOptions {
  /** A name for the process and file (default `capture`). */
  readonly name?: string;
  /** A tcpdump filter expression (default: TCP). */
  readonly filter?: string;
  /** Packets before tcpdump stops by itself (default 20 000). */
  readonly maxPackets?: number;
  /** Time before the capture is stopped whether or not `stop()` was called (default 60 s). */
  readonly maxMs?: number;
}

export interface Capture {
  readonly process: ManagedProcess;
  readonly file: string;
  /** Stops tcpdump (by PID; it writes out what it holds) and returns the TCP segments it captured. */
  stop(): Promise<TcpSegment[]>;
}

/** Starts tcpdump in the cluster's hub namespace and waits until it listens. */
export async function startCapture(cluster: Cluster, options: CaptureOptions = {}): Promise<Capture> {
  const name = options.name ?? 'capture';
  const file = join(cluster.runDir, `${name}.pcap`);
  const started = await cluster.start(cluster.hubNs, {
    name,
    command: 'tcpdump',
    args: [
      '-i',
      'any',
      // Debian's tcpdump would otherwise drop to its own user, who cannot write the run directory.
      '-Z',
      'root',
      '-n',
      '-U',
      '--immediate-mode',
      '-s',
      '0',
      '-c',
      String(options.maxPackets ?? 20_000),
      '-w',
      file,
      ...(options.filter ?? 'tcp').split(' '),
    ],
  });
  const limit = setTimeout(() => void started.stop(), options.maxMs ?? 60_000);
  limit.unref();
  try {
    await waitForLog(started, /listening on any/);
  } catch (error) {
    clearTimeout(limit);
    await started.stop();
    throw error;
  }
  return {
    process: started,
    file,
    async stop() {
      clearTimeout(limit);
      await started.stop();
      return tcpSegments(await readFile(file));
    },
  };
}
