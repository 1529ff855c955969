/**
 * Edits a CoreDNS Corefile as text: adds, updates or removes one server block between marker comments,
 * and leaves every other byte alone, so that removing the block gives back the Corefile as it was.
 * Pure: no I/O.
 */
import { type FieldError, fail, ok, type Result } from '@nodemesh/smi-types';
import { hostPort, type MeshForwardTarget, validateForwardTarget } from './forward-target.js';

export const MESH_BLOCK_BEGIN = '# nodemesh:begin';
export const MESH_BLOCK_END = '# nodemesh:end';
const BEGIN_LINE = `${MESH_BLOCK_BEGIN} (managed by the Nodemesh dns-controller; removed on cleanup)`;

/** The block's place in the Corefile: `[start, end)`, from the begin marker to after the end marker's line break. */
export interface MeshBlockLocation {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface CorefileEdit {
  readonly corefile: string;
  /** False when the Corefile already was as wanted (nothing to write). */
  readonly changed: boolean;
}

/** The server block itself: `<domain>:53 { errors; cache 30; forward . <ip>:<port> }`, one directive per line. */
export function renderMeshServerBlock(target: MeshForwardTarget, eol = '\n'): string {
  return [
    `${target.domain}:53 {`,
    '    errors',
    '    cache 30',
    `    forward . ${hostPort(target.address, target.port)}`,
    '}',
    '',
  ].join(eol);
}

function renderMarkedBlock(target: MeshForwardTarget, eol: string): string {
  return `${BEGIN_LINE}${eol}${renderMeshServerBlock(target, eol)}${MESH_BLOCK_END}${eol}`;
}

/** The file's own line ending: CRLF if its first line ends so, else LF. */
function lineEnding(corefile: string): string {
  const first = corefile.indexOf('\n');
  return first > 0 && corefile[first - 1] === '\r' ? '\r\n' : '\n';
}

interface Line {
  readonly start: number;
  /** Offset after the line break (or the end of the text). */
  readonly next: number;
  readonly content: string;
}

function lines(text: string): Line[] {
  const result: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const next = newline === -1 ? text.length : newline + 1;
    result.push({
      start,
      next,
      content: text.slice(start, newline === -1 ? next : newline).replace(/\r$/, ''),
    });
    start = next;
  }
  return result;
}

const isMarker = (content: string, marker: string): boolean => {
  const trimmed = content.trim();
  return trimmed === marker || trimmed.startsWith(`${marker} `);
};

/** Finds the marked block; reports a begin without an end, or markers found twice. */
export function findMeshBlock(corefile: string): Result<MeshBlockLocation | undefined> {
  let begin: Line | undefined;
  let found: MeshBlockLocation | undefined;
  for (const [index, line] of lines(corefile).entries()) {
    const where = `line ${index + 1}`;
    if (isMarker(line.content, MESH_BLOCK_BEGIN)) {
      if (begin !== undefined || found !== undefined) {
        return fail([
          { path: where, message: `a second "${MESH_BLOCK_BEGIN}" marker; fix the Corefile by hand` },
        ]);
      }
      begin = line;
    } else if (isMarker(line.content, MESH_BLOCK_END)) {
      if (begin === undefined) {
        return fail([
          { path: where, message: `"${MESH_BLOCK_END}" without "${MESH_BLOCK_BEGIN}" before it` },
        ]);
      }
      found = { start: begin.start, end: line.next, text: corefile.slice(begin.start, line.next) };
      begin = undefined;
    }
  }
  if (begin !== undefined) {
    return fail([{ path: '', message: `"${MESH_BLOCK_BEGIN}" without "${MESH_BLOCK_END}" after it` }]);
  }
  return ok(found);
}

/** A top-level block: its keys (`.:53`, `mesh:53`, or a snippet's `(name)`), the line and offset of its "{". */
export interface ServerBlock {
  readonly keys: readonly string[];
  readonly line: number;
  readonly start: number;
}

/**
 * Scans the Corefile's tokens: checks braces balance (outside comments and quotes) and collects the keys
 * of each top-level server block. Errors name the line.
 */
export function scanCorefile(corefile: string): Result<readonly ServerBlock[]> {
  const blocks: ServerBlock[] = [];
  const opened: number[] = [];
  let keys: string[] = [];
  let token = '';
  let line = 1;
  const endToken = (): void => {
    if (token !== '' && opened.length === 0) {
      keys.push(token);
    }
    token = '';
  };
  for (let i = 0; i < corefile.length; i++) {
    const c = corefile[i] ?? '';
    if (c === '"' || c === '`') {
      let close = corefile.indexOf(c, i + 1);
      while (close !== -1 && c === '"' && corefile[close - 1] === '\\')
        close = corefile.indexOf(c, close + 1);
      if (close === -1) return fail([{ path: `line ${line}`, message: `unterminated ${c} quote` }]);
      line += corefile.slice(i, close).split('\n').length - 1;
      token += corefile.slice(i + 1, close);
      i = close;
      continue;
    }
    if (c === '#' && token === '') {
      const newline = corefile.indexOf('\n', i);
      i = newline === -1 ? corefile.length : newline - 1;
      continue;
    }
    if (c === '{') {
      endToken();
      if (opened.length === 0) {
        blocks.push({ keys, line, start: i });
        keys = [];
      }
      opened.push(line);
      continue;
    }
    if (c === '}') {
      endToken();
      if (opened.pop() === undefined) return fail([{ path: `line ${line}`, message: '"}" closes no block' }]);
      continue;
    }
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
      endToken();
      if (c === '\n') {
        line += 1;
        // A top-level line with no "{" (an import, say) is not the start of a block.
        if (opened.length === 0) keys = [];
      }
      continue;
    }
    token += c;
  }
  endToken();
  const unclosed = opened[opened.length - 1];
  if (unclosed !== undefined) {
    return fail([
      { path: `line ${unclosed}`, message: `"{" opened here is never closed (${opened.length} open)` },
    ]);
  }
  return ok(blocks);
}

/** Whether a server-block key (`mesh:53`, `dns://mesh.:53`, `mesh`) serves `domain` on port 53. */
function servesDomain(key: string, domain: string): boolean {
  const match = /^(?:dns:\/\/)?([^:]+?)\.?(?::(\d+))?$/i.exec(key);
  if (match === null) return false;
  return (match[1] ?? '').toLowerCase() === domain && (match[2] === undefined || match[2] === '53');
}

function problems(errors: readonly FieldError[]): Result<never> {
  return fail(errors.map((error) => ({ ...error, message: `Corefile cannot be edited: ${error.message}` })));
}

/**
 * Adds the marked block forwarding the mesh zone (at the top, in the file's own line ending), or updates
 * it in place if the target changed. A Corefile that does not parse, or already has a block of its own
 * for the mesh zone, is reported and left alone.
 */
export function addMeshBlock(corefile: string, target: MeshForwardTarget): Result<CorefileEdit> {
  const checked = validateForwardTarget(target);
  if (!checked.ok) return checked;
  const located = findMeshBlock(corefile);
  if (!located.ok) return problems(located.errors);
  const scanned = scanCorefile(corefile);
  if (!scanned.ok) return problems(scanned.errors);
  const block = located.value;
  const theirs = scanned.value.find(
    (server) =>
      (block === undefined || server.start < block.start || server.start >= block.end) &&
      server.keys.some((key) => servesDomain(key, target.domain)),
  );
  if (theirs !== undefined) {
    return problems([
      {
        path: `line ${theirs.line}`,
        message: `a server block not managed by Nodemesh already serves ${target.domain}:53 (${theirs.keys.join(' ')})`,
      },
    ]);
  }
  const eol = lineEnding(corefile);
  const wanted = renderMarkedBlock(target, eol);
  if (block === undefined) return ok({ corefile: wanted + corefile, changed: true });
  if (block.text === wanted) return ok({ corefile, changed: false });
  return ok({ corefile: corefile.slice(0, block.start) + wanted + corefile.slice(block.end), changed: true });
}

/** Removes the marked block, leaving every other byte as it was. */
export function removeMeshBlock(corefile: string): Result<CorefileEdit> {
  const located = findMeshBlock(corefile);
  if (!located.ok) return problems(located.errors);
  const block = located.value;
  if (block === undefined) return ok({ corefile, changed: false });
  return ok({ corefile: corefile.slice(0, block.start) + corefile.slice(block.end), changed: true });
}

/** Whether the Corefile holds the marked block exactly as `target` wants it. */
export function hasMeshBlock(corefile: string, target?: MeshForwardTarget): boolean {
  const located = findMeshBlock(corefile);
  if (!located.ok || located.value === undefined) return false;
  return target === undefined || located.value.text === renderMarkedBlock(target, lineEnding(corefile));
}
