/**
 * How a Kubernetes protobuf message maps onto its JSON form: per field number, the JSON name and the kind of
 * value. Only the few messages `protobuf-schemas.ts` lists are described; the wire format itself is read by
 * @bufbuild/protobuf.
 */

export type FieldKind =
  /** A non-pointer string: always sent, omitted from JSON when empty (Go's `omitempty`). */
  | { readonly type: 'string' }
  /** A pointer bool (`*bool`): sent only when set, so kept as sent, `false` too. */
  | { readonly type: 'bool' }
  /** A non-pointer int64: omitted from JSON when 0. */
  | { readonly type: 'int64' }
  /** metav1.Time: `{seconds = 1, nanos = 2}` → RFC 3339 with second precision, omitted when zero. */
  | { readonly type: 'time' }
  | { readonly type: 'message'; readonly schema: MessageSchema }
  | { readonly type: 'repeated-string' }
  | { readonly type: 'repeated-message'; readonly schema: MessageSchema }
  /** `map<string, string>` (entries: key = 1, value = 2). */
  | { readonly type: 'string-map' }
  /** `map<string, bytes>`: values become base64, as in JSON. */
  | { readonly type: 'bytes-map' };

export interface FieldSchema {
  readonly json: string;
  readonly kind: FieldKind;
}

export interface MessageSchema {
  /** For error messages: `ObjectMeta`, `ConfigMap`. */
  readonly name: string;
  readonly fields: Readonly<Record<number, FieldSchema>>;
}

export function message(name: string, fields: Record<number, FieldSchema>): MessageSchema {
  return { name, fields };
}

export const field = {
  string: (json: string): FieldSchema => ({ json, kind: { type: 'string' } }),
  bool: (json: string): FieldSchema => ({ json, kind: { type: 'bool' } }),
  int64: (json: string): FieldSchema => ({ json, kind: { type: 'int64' } }),
  time: (json: string): FieldSchema => ({ json, kind: { type: 'time' } }),
  message: (json: string, schema: MessageSchema): FieldSchema => ({
    json,
    kind: { type: 'message', schema },
  }),
  strings: (json: string): FieldSchema => ({ json, kind: { type: 'repeated-string' } }),
  messages: (json: string, schema: MessageSchema): FieldSchema => ({
    json,
    kind: { type: 'repeated-message', schema },
  }),
  stringMap: (json: string): FieldSchema => ({ json, kind: { type: 'string-map' } }),
  bytesMap: (json: string): FieldSchema => ({ json, kind: { type: 'bytes-map' } }),
};
