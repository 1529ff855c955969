/**
 * Golden tests of the Corefile edit over real-looking Corefiles (kubeadm, k3s, tabs, CRLF, no final
 * newline, several blocks, empty). `<name>.Corefile` is the input, `<name>.with-mesh.Corefile` the
 * expected result of adding the mesh block. Run with UPDATE_GOLDEN=1 to rewrite the expected files,
 * then read the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addMeshBlock,
  findMeshBlock,
  hasMeshBlock,
  removeMeshBlock,
  scanCorefile,
} from '../../src/cluster-dns/index.js';

const directory = join(import.meta.dirname, 'corefiles');
const inputs = readdirSync(directory)
  .filter((name) => name.endsWith('.Corefile') && !name.endsWith('.with-mesh.Corefile'))
  .map((name) => name.slice(0, -'.Corefile'.length));
const target = { domain: 'mesh', address: '10.96.0.53', port: 53 };
const moved = { domain: 'mesh', address: '10.96.7.7', port: 5353 };

function unwrap<T>(result: { ok: true; value: T } | { ok: false; errors: readonly unknown[] }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

describe.each(inputs)('Corefile %s', (name) => {
  const original = readFileSync(join(directory, `${name}.Corefile`), 'latin1');
  const added = unwrap(addMeshBlock(original, target));

  it('matches the golden file after adding the block', () => {
    const goldenPath = join(directory, `${name}.with-mesh.Corefile`);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenPath))
      writeFileSync(goldenPath, added.corefile, 'latin1');
    expect(added.corefile).toBe(readFileSync(goldenPath, 'latin1'));
    expect(added.changed).toBe(true);
  });

  it('parses before and after', () => {
    expect(scanCorefile(original).ok).toBe(true);
    expect(scanCorefile(added.corefile).ok).toBe(true);
  });

  it('gives back the original byte for byte on removal', () => {
    const removed = unwrap(removeMeshBlock(added.corefile));
    expect(Buffer.from(removed.corefile, 'latin1').equals(Buffer.from(original, 'latin1'))).toBe(true);
    expect(removed.changed).toBe(true);
  });

  it('is idempotent: adding twice is adding once', () => {
    const again = unwrap(addMeshBlock(added.corefile, target));
    expect(again).toEqual({ corefile: added.corefile, changed: false });
    expect(hasMeshBlock(added.corefile, target)).toBe(true);
    expect(hasMeshBlock(original)).toBe(false);
  });

  it('updates the block in place when the target changes, and still restores the original', () => {
    const updated = unwrap(addMeshBlock(added.corefile, moved));
    expect(updated.changed).toBe(true);
    expect(updated.corefile).toContain('forward . 10.96.7.7:5353');
    expect(updated.corefile).not.toContain('10.96.0.53');
    expect(hasMeshBlock(updated.corefile, moved)).toBe(true);
    expect(unwrap(removeMeshBlock(updated.corefile)).corefile).toBe(original);
  });

  it('keeps the file’s line endings', () => {
    const crlf = original.includes('\r\n');
    const block = unwrap(findMeshBlock(added.corefile));
    expect(block?.text.includes('\r\n')).toBe(crlf);
    if (!crlf) expect(block?.text.includes('\r')).toBe(false);
  });

  it('leaves a Corefile without the block unchanged on removal', () => {
    expect(unwrap(removeMeshBlock(original))).toEqual({ corefile: original, changed: false });
  });
});

it('has golden inputs', () => {
  expect(inputs.length).toBeGreaterThanOrEqual(6);
});
