import { type FieldError, formatFieldError } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import {
  addMeshBlock,
  findMeshBlock,
  removeMeshBlock,
  renderMeshServerBlock,
  scanCorefile,
} from './corefile.js';

const target = { domain: 'mesh', address: '10.96.0.53', port: 53 };
const base = '.:53 {\n    forward . /etc/resolv.conf\n}\n';

const errorsOf = (result: { ok: boolean; errors?: readonly FieldError[] }) =>
  result.ok ? [] : (result.errors ?? []).map(formatFieldError);

describe('renderMeshServerBlock', () => {
  it('forwards the zone to the target, brackets around IPv6', () => {
    expect(renderMeshServerBlock(target)).toBe(
      'mesh:53 {\n    errors\n    cache 30\n    forward . 10.96.0.53:53\n}\n',
    );
    expect(renderMeshServerBlock({ domain: 'mesh.example', address: 'fd00::53', port: 5353 })).toContain(
      'mesh.example:53 {\n    errors\n    cache 30\n    forward . [fd00::53]:5353\n}',
    );
  });
});

describe('addMeshBlock', () => {
  it.each([
    [
      'an unclosed brace',
      '.:53 {\n    cache 30\n',
      'line 1: Corefile cannot be edited: "{" opened here is never closed (1 open)',
    ],
    ['an extra closing brace', '.:53 {\n}\n}\n', 'line 3: Corefile cannot be edited: "}" closes no block'],
    [
      'an unterminated quote',
      '.:53 {\n  template "x {\n}\n',
      'line 2: Corefile cannot be edited: unterminated " quote',
    ],
  ])('reports and does not touch a Corefile with %s', (_, corefile, message) => {
    expect(errorsOf(addMeshBlock(corefile, target))).toEqual([message]);
  });

  it('does not count braces in comments or quotes', () => {
    const corefile =
      '.:53 { # not { a brace\n    template IN A x { answer "{{ .Name }} 60 IN A 1.2.3.4" }\n}\n';
    expect(addMeshBlock(corefile, target).ok).toBe(true);
  });

  it.each(['mesh:53 {\n}\n', 'mesh {\n}\n', 'dns://mesh.:53 {\n}\n', '.:53 MESH:53 {\n}\n'])(
    'refuses to add a second block for the zone next to %j',
    (theirs) => {
      const [error] = errorsOf(addMeshBlock(base + theirs, target));
      expect(error).toMatch(/^line 4: .*a server block not managed by Nodemesh already serves mesh:53/);
    },
  );

  it('does not mistake other zones, ports or snippets for the mesh zone', () => {
    for (const other of [
      'mesh:5353 {\n}\n',
      'meshy:53 {\n}\n',
      'x.mesh:53 {\n}\n',
      '(mesh) {\n}\n',
      'import mesh\n',
    ]) {
      expect(addMeshBlock(base + other, target).ok).toBe(true);
    }
  });

  it('updates a block the user moved to the middle, in place', () => {
    const added = addMeshBlock(base, target);
    if (!added.ok) throw new Error('add failed');
    const block = findMeshBlock(added.value.corefile);
    if (!block.ok || block.value === undefined) throw new Error('no block');
    const middle = `# top\n${block.value.text}${base}`;
    const updated = addMeshBlock(middle, { ...target, address: '10.96.9.9' });
    expect(updated.ok && updated.value.corefile.startsWith('# top\n# nodemesh:begin')).toBe(true);
    expect(updated.ok && updated.value.corefile).toContain('forward . 10.96.9.9:53');
    const removed = removeMeshBlock(updated.ok ? updated.value.corefile : '');
    expect(removed.ok && removed.value.corefile).toBe(`# top\n${base}`);
  });

  it('reports an invalid target', () => {
    const result = addMeshBlock(base, { domain: 'Mesh', address: 'dns.local', port: 0 });
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toEqual(['domain', 'address', 'port']);
  });
});

describe('findMeshBlock and removeMeshBlock', () => {
  it.each([
    [
      'a begin without end',
      `# nodemesh:begin\n${base}`,
      '"# nodemesh:begin" without "# nodemesh:end" after it',
    ],
    [
      'an end without begin',
      `${base}# nodemesh:end\n`,
      'line 4: "# nodemesh:end" without "# nodemesh:begin" before it',
    ],
    [
      'two blocks',
      '# nodemesh:begin\n# nodemesh:end\n# nodemesh:begin\n# nodemesh:end\n',
      'line 3: a second "# nodemesh:begin" marker; fix the Corefile by hand',
    ],
  ])('reports %s, on removal too', (_, corefile, message) => {
    expect(errorsOf(findMeshBlock(corefile))).toEqual([message]);
    expect(removeMeshBlock(corefile).ok).toBe(false);
  });

  it('removes a last block that has no final line break', () => {
    const corefile = `${base}# nodemesh:begin\nmesh:53 {\n}\n# nodemesh:end`;
    expect(removeMeshBlock(corefile)).toEqual({ ok: true, value: { corefile: base, changed: true } });
  });
});

describe('scanCorefile', () => {
  it('lists top-level blocks with their keys and lines', () => {
    const scanned = scanCorefile(`# c\n${base}\nmesh:5353 example:53 {\n  whoami\n}\n`);
    expect(scanned.ok && scanned.value.map((block) => [block.keys, block.line])).toEqual([
      [['.:53'], 2],
      [['mesh:5353', 'example:53'], 6],
    ]);
  });
});
