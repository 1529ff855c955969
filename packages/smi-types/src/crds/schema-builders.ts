/**
 * Tiny builders for OpenAPI v3 structural schemas, so the CRD schemas read like the resources they describe.
 * Every node has a type (or preserves unknown fields), as apiextensions.k8s.io/v1 requires.
 */
export type JsonSchema = { readonly [key: string]: unknown };

export function object(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return required.length === 0
    ? { type: 'object', properties }
    : { type: 'object', required: [...required], properties };
}

export function string(extra: JsonSchema = {}): JsonSchema {
  return { type: 'string', ...extra };
}

export function integer(minimum: number, maximum: number): JsonSchema {
  return { type: 'integer', minimum, maximum };
}

export function list(items: JsonSchema, extra: JsonSchema = {}): JsonSchema {
  return { type: 'array', items, ...extra };
}

export function oneOfStrings(values: readonly string[]): JsonSchema {
  return { type: 'string', enum: [...values] };
}

/** A field whose shape the schema leaves to the validator (it has more than one accepted form). */
export function anyShape(description: string): JsonSchema {
  return { description, 'x-kubernetes-preserve-unknown-fields': true };
}

/** The top of a resource schema: apiVersion, kind, metadata and the given spec. */
export function resource(spec: JsonSchema, specRequired: boolean): JsonSchema {
  return {
    type: 'object',
    ...(specRequired ? { required: ['spec'] } : {}),
    properties: {
      apiVersion: string(),
      kind: string(),
      metadata: { type: 'object' },
      spec,
    },
  };
}

/** An optional field the validators read `null` for as absent, so the schema must accept `null` too. */
export function nullable(schema: JsonSchema): JsonSchema {
  return { ...schema, nullable: true };
}
