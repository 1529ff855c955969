#!/usr/bin/env node
const HELP = `nodemesh-dns: the Nodemesh control plane

Usage:
  nodemesh-dns run        watch Services, keep shadow Services, serve the mesh DNS zone
  nodemesh-dns prepare    add the mesh forward block to the cluster DNS and exit
  nodemesh-dns cleanup    remove the cluster DNS block and every shadow Service, then exit
  nodemesh-dns --help     show this help
`;

const command = process.argv[2];
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(HELP);
} else {
  process.stderr.write(`nodemesh-dns: unknown command "${command}"; try --help\n`);
  process.exitCode = 2;
}
