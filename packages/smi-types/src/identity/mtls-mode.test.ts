import { describe, expect, it } from 'vitest';
import { resolveMtlsMode } from './mtls-mode.js';

describe('resolveMtlsMode', () => {
  it('takes the Service annotation, else the Namespace annotation, else the mesh-wide mode', () => {
    expect(resolveMtlsMode('strict', 'off', 'permissive').mode).toBe('strict');
    expect(resolveMtlsMode(undefined, 'off', 'permissive').mode).toBe('off');
    expect(resolveMtlsMode(undefined, undefined, 'strict').mode).toBe('strict');
  });

  it('reports an annotation that names no mode and passes over it', () => {
    const choice = resolveMtlsMode('STRICT', 'strict', 'off');
    expect(choice.mode).toBe('strict');
    expect(choice.problems).toEqual([
      {
        source: 'Service',
        path: 'metadata.annotations["nodemesh.io/mtls"]',
        message: 'must be one of off, permissive, strict, got "STRICT"',
      },
    ]);
    expect(resolveMtlsMode(7, ['x'], 'permissive')).toMatchObject({ mode: 'permissive', problems: [{}, {}] });
  });
});
