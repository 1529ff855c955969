import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingTools, REQUIRED_TOOLS } from './preflight.js';

describe('missingTools', () => {
  it('lists the tools found in no directory, and only those', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'preflight-'));
    try {
      expect(missingTools(dir, [])).toEqual(Object.keys(REQUIRED_TOOLS));
      await writeFile(join(dir, 'curl'), '#!/bin/sh\n');
      await chmod(join(dir, 'curl'), 0o755);
      await writeFile(join(dir, 'dig'), 'not executable');
      const missing = missingTools(dir, []);
      expect(missing).not.toContain('curl');
      expect(missing).toContain('dig');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names a Debian package for every tool', () => {
    for (const [tool, pkg] of Object.entries(REQUIRED_TOOLS)) expect(pkg, tool).toMatch(/^[a-z0-9.+-]+$/);
  });
});
