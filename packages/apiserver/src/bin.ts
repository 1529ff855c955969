#!/usr/bin/env node
import { isLoopbackHost, startApiServer } from './api-server.js';
import { parseCliArgs, usage } from './cli-args.js';

const parsed = parseCliArgs(process.argv.slice(2), isLoopbackHost);
if (!parsed.ok) {
  process.stderr.write(`nodemesh-apiserver: ${parsed.error}\n\n${usage}`);
  process.exit(2);
}
if (parsed.value.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const { port, host, serviceCidr } = parsed.value;
try {
  const server = await startApiServer({ port, host, serviceCidr });
  process.stdout.write(`nodemesh-apiserver listening on ${server.url}\n`);
  const shutdown = (signal: string) => {
    process.stdout.write(`nodemesh-apiserver: ${signal}, stopping\n`);
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  process.stderr.write(
    `nodemesh-apiserver: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
