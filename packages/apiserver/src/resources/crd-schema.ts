import { Ajv, type ErrorObject } from 'ajv';
import type { ObjectValidator } from './resource-type.js';

/** Turns an ajv instance path (`/spec/backends/0/weight`) into a Kubernetes field path. */
export function fieldPathOf(instancePath: string): string {
  let out = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^(0|[1-9][0-9]*)$/.test(token)) out += `[${token}]`;
    else out += out === '' ? token : `.${token}`;
  }
  return out;
}

function describe(error: ErrorObject): { field: string; message: string } {
  let field = fieldPathOf(error.instancePath);
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') {
    field = field ? `${field}.${error.params.missingProperty}` : error.params.missingProperty;
    return { field, message: 'Required value' };
  }
  const value = JSON.stringify(error.data);
  return {
    field: field || '<root>',
    message: `Invalid value: ${value}: ${field || 'body'} in body ${error.message ?? 'is invalid'}`,
  };
}

/**
 * Compiles a CRD version's `openAPIV3Schema` into a validator. `x-kubernetes-*` extensions are ignored and
 * formats not checked. A schema that does not compile is reported, so the CRD itself can be rejected.
 */
export function compileCrdSchema(
  schema: unknown,
): { ok: true; validate: ObjectValidator } | { ok: false; error: string } {
  if (schema === undefined) return { ok: true, validate: () => [] };
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return { ok: false, error: 'openAPIV3Schema must be an object' };
  }
  try {
    // One Ajv per schema: Ajv caches every schema it compiles, and CRDs are compiled again on each update.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, verbose: true });
    const check = ajv.compile(schema);
    return {
      ok: true,
      validate: (obj) => {
        if (check(obj)) return [];
        return (check.errors ?? []).map(describe);
      },
    };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
