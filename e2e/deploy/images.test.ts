/**
 * The images without a Docker engine: the production install each Dockerfile performs (its own `pnpm deploy`
 * command, read from the Dockerfile) runs with production dependencies alone, outside the workspace, from the
 * lockfile and the store alone; and the Dockerfiles keep to the rules of docs/install.md (multi-stage,
 * distroless Node.js 24, non-root). images-built.test.ts builds and runs the real images where an engine is.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIR, REPO_ROOT } from './manifests.js';

const COMPONENTS = [
  { image: 'node-proxy', pkg: 'node-proxy', help: 'nodemesh-proxy' },
  { image: 'dns-controller', pkg: 'dns-controller', help: 'nodemesh-dns' },
] as const;

/** Dev dependencies of the workspace that must not reach an image. */
const DEV_ONLY = ['typescript', 'vitest', '@biomejs', '@types', 'fast-check', 'ws'];

const run = (command: string, args: string[], cwd: string, timeout = 120_000): string =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });

describe('production install (what the Dockerfiles run)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'nodemesh-prod-'));

  beforeAll(() => {
    // `pnpm test` builds first; this makes the test stand alone (tsc -b does nothing when up to date).
    run('pnpm', ['exec', 'tsc', '-b', ...COMPONENTS.map((c) => `packages/${c.pkg}`)], REPO_ROOT, 240_000);
  }, 300_000);

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each(COMPONENTS)(
    "$pkg: the Dockerfile's `pnpm deploy` gives a directory that runs --help with production dependencies alone",
    ({ image, pkg, help }) => {
      const out = join(scratch, pkg);
      const flags = deployFlags(readFileSync(join(DEPLOY_DIR, 'docker', `${image}.Dockerfile`), 'utf8'), pkg);
      // --offline: from the lockfile and the store `pnpm install` filled, never from registry metadata.
      expect(flags).toContain('--offline');
      run('pnpm', ['--filter', `@nodemesh/${pkg}`, 'deploy', ...flags, out], REPO_ROOT, 240_000);

      const modules = readdirSync(join(out, 'node_modules'));
      for (const dev of DEV_ONLY) expect(modules, `${dev} is a dev dependency`).not.toContain(dev);
      expect(existsSync(join(out, 'node_modules', '@nodemesh', 'smi-types', 'dist', 'index.js'))).toBe(true);

      // Run from the deployed directory, far from the workspace's node_modules.
      const output = run(process.execPath, [join(out, 'dist', 'bin.js'), '--help'], out);
      expect(output).toContain(help);
      // Every module the package's entry point imports resolves from the deployed tree.
      run(
        process.execPath,
        ['--input-type=module', '-e', `await import(${JSON.stringify(join(out, 'dist', 'index.js'))})`],
        out,
      );
    },
    300_000,
  );
});

/** The flags of the Dockerfile's `pnpm --filter @nodemesh/<pkg> deploy … /out`. */
function deployFlags(dockerfile: string, pkg: string): string[] {
  const match = new RegExp(`pnpm --filter @nodemesh/${pkg} deploy (.*?) /out`).exec(dockerfile);
  if (match?.[1] === undefined) throw new Error(`no pnpm deploy of @nodemesh/${pkg} in its Dockerfile`);
  return match[1].split(/\s+/);
}

describe.each(COMPONENTS)('deploy/docker/$image.Dockerfile', ({ image, pkg }) => {
  const dockerfile = readFileSync(join(DEPLOY_DIR, 'docker', `${image}.Dockerfile`), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));
  const args = Object.fromEntries(
    instructions
      .filter((line) => line.startsWith('ARG '))
      .map((line) => line.slice(4).split('=') as [string, string]),
  );

  it('builds in a pinned Node.js 24 image and runs in distroless Node.js 24 as non-root', () => {
    expect(stages).toHaveLength(2);
    expect(args.BUILD_IMAGE).toMatch(/^node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    expect(args.RUNTIME_IMAGE).toBe('gcr.io/distroless/nodejs24-debian12:nonroot');
    expect(stages[1]).toMatch(/^FROM \$\{RUNTIME_IMAGE\}$/);
    const afterRuntime = instructions.slice(instructions.indexOf(stages[1] ?? ''));
    expect(afterRuntime).toContain('USER 65532:65532');
    expect(afterRuntime.filter((line) => line.startsWith('RUN '))).toEqual([]);
  });

  it('installs production dependencies only, of its own package, with the locked pnpm', () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      packageManager?: string;
    };
    expect(dockerfile).toContain(`npm install -g ${String(root.packageManager)}`);
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
    expect(dockerfile).toContain(`pnpm --filter @nodemesh/${pkg} deploy --prod`);
    expect(dockerfile).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bin.js"]');
  });

  it('has a .dockerignore that keeps local builds and dependencies out of the context', () => {
    const ignore = readFileSync(join(DEPLOY_DIR, 'docker', `${image}.Dockerfile.dockerignore`), 'utf8').split(
      '\n',
    );
    for (const entry of ['.git', '**/node_modules', '**/dist']) expect(ignore).toContain(entry);
  });
});
