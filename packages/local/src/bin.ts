#!/usr/bin/env node
/** `pnpm start`: the whole mesh on this machine, with sample services. Ctrl-C stops everything. */
import { guide } from './guide.js';
import { REPO_ROOT, startLocalMesh } from './launcher.js';
import { DEFAULT_LOCAL_SETTINGS, type LocalSettings } from './settings.js';

const HELP = `nodemesh-local: run the whole mesh on this machine (local mode)

Usage: pnpm start [-- --access-control] [--api-port N] [--dns-port N]

  --access-control   SMI access control on: only what TrafficTargets allow passes
  --api-port N       the in-memory API server's port (default ${DEFAULT_LOCAL_SETTINGS.apiPort})
  --dns-port N       the mesh DNS server's port (default ${DEFAULT_LOCAL_SETTINGS.dnsPort})
  --help             show this help
`;

function parseArgs(args: readonly string[]): LocalSettings | string {
  let settings = DEFAULT_LOCAL_SETTINGS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const port = (flag: string): number | string => {
      const value = Number(args[++i]);
      return Number.isInteger(value) && value > 0 && value < 65536
        ? value
        : `${flag} needs a port from 1 to 65535`;
    };
    if (arg === '--') continue;
    if (arg === '--access-control') settings = { ...settings, accessControl: true };
    else if (arg === '--api-port' || arg === '--dns-port') {
      const value = port(arg);
      if (typeof value === 'string') return value;
      settings = arg === '--api-port' ? { ...settings, apiPort: value } : { ...settings, dnsPort: value };
    } else return `unknown option ${JSON.stringify(arg)}; try --help`;
  }
  return settings;
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP);
} else {
  const settings = parseArgs(args);
  if (typeof settings === 'string') {
    process.stderr.write(`nodemesh-local: ${settings}\n`);
    process.exitCode = 2;
  } else {
    const print = (line: string) => process.stdout.write(`${line}\n`);
    try {
      const mesh = await startLocalMesh(settings, print);
      print(guide(settings, mesh.server, REPO_ROOT));
      let stopping = false;
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        print('stopping...');
        void mesh.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    } catch (error) {
      process.stderr.write(`nodemesh-local: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
