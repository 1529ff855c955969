/**
 * Reads a Kubernetes protobuf request body (`application/vnd.kubernetes.protobuf`) into the object's JSON form,
 * for the kinds in `protobuf-schemas.ts`. The body is the 4-byte magic `k8s\0` followed by a runtime.Unknown
 * envelope: `typeMeta = 1` (`apiVersion = 1`, `kind = 2`), `raw = 2` (the object), `contentEncoding = 3`,
 * `contentType = 4`. Varints, lengths and UTF-8 are read by @bufbuild/protobuf's BinaryReader, which checks
 * every bound; anything malformed is a 400, a kind or field this server does not describe a 415.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ApiError, badRequest } from '../api/api-error.js';
import type { FieldKind, MessageSchema } from './message-schema.js';
import { PROTOBUF_KINDS } from './protobuf-schemas.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\u0000', 'latin1');

type Json = Record<string, unknown>;

/** The object in a protobuf body, as JSON with `apiVersion` and `kind`. Throws an ApiError. */
export function decodeKubeProtobuf(body: Uint8Array): Json {
  if (body.length < MAGIC.length || !MAGIC.equals(body.subarray(0, MAGIC.length))) {
    throw badRequest('the protobuf body does not start with the Kubernetes magic number "k8s\\0"');
  }
  try {
    const envelope = readEnvelope(body.subarray(MAGIC.length));
    if (
      envelope.contentEncoding !== '' ||
      (envelope.contentType !== '' && envelope.contentType !== PROTOBUF_MEDIA_TYPE)
    ) {
      throw unsupported(
        `the protobuf envelope's content (encoding ${JSON.stringify(envelope.contentEncoding)}, type ${JSON.stringify(envelope.contentType)}) is not supported`,
      );
    }
    const schema = PROTOBUF_KINDS.get(`${envelope.apiVersion} ${envelope.kind}`);
    if (schema === undefined) {
      const kinds = [...PROTOBUF_KINDS.keys()].map((key) => key.split(' ')[1]).join(', ');
      throw unsupported(
        `this server reads protobuf bodies of ${kinds} (v1) only; send ${envelope.kind || 'this object'} as application/json`,
      );
    }
    return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...decodeMessage(envelope.raw, schema) };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badRequest(
      `the protobuf body is malformed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function readEnvelope(bytes: Uint8Array): Envelope {
  const envelope: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(),
    contentEncoding: '',
    contentType: '',
  };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no >= 1 && no <= 4) expectWire(wireType, WireType.LengthDelimited, `runtime.Unknown field ${no}`);
    if (no === 1) {
      const typeMeta = new BinaryReader(reader.bytes());
      while (typeMeta.pos < typeMeta.len) {
        const [field, type] = typeMeta.tag();
        if (field === 1 || field === 2) {
          expectWire(type, WireType.LengthDelimited, `TypeMeta field ${field}`);
          if (field === 1) envelope.apiVersion = typeMeta.string(true);
          else envelope.kind = typeMeta.string(true);
        } else typeMeta.skip(type, field);
      }
    } else if (no === 2) envelope.raw = reader.bytes();
    else if (no === 3) envelope.contentEncoding = reader.string(true);
    else if (no === 4) envelope.contentType = reader.string(true);
    else reader.skip(wireType, no);
  }
  return envelope;
}

function decodeMessage(bytes: Uint8Array, schema: MessageSchema): Json {
  const reader = new BinaryReader(bytes);
  const out: Json = {};
  const maps = new Map<string, Map<string, string>>();
  const lists = new Map<string, unknown[]>();
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    const spec = schema.fields[no];
    if (spec === undefined) {
      throw unsupported(
        `protobuf field ${no} of ${schema.name} is not understood by this server; send the object as application/json`,
      );
    }
    const { json, kind } = spec;
    expectWire(wireType, wireTypeOf(kind), `${schema.name}.${json}`);
    switch (kind.type) {
      case 'string': {
        const value = reader.string(true);
        if (value === '') delete out[json];
        else out[json] = value;
        break;
      }
      case 'bool':
        out[json] = reader.bool();
        break;
      case 'int64': {
        const value = safeNumber(reader.int64(), `${schema.name}.${json}`);
        if (value === 0) delete out[json];
        else out[json] = value;
        break;
      }
      case 'time': {
        const value = readTime(reader.bytes());
        if (value === undefined) delete out[json];
        else out[json] = value;
        break;
      }
      case 'message': {
        const value = decodeMessage(reader.bytes(), kind.schema);
        if (Object.keys(value).length === 0) delete out[json];
        else out[json] = value;
        break;
      }
      case 'repeated-string':
        listOf(lists, json).push(reader.string(true));
        break;
      case 'repeated-message':
        listOf(lists, json).push(decodeMessage(reader.bytes(), kind.schema));
        break;
      case 'string-map':
      case 'bytes-map': {
        const [key, value] = readMapEntry(reader.bytes(), kind.type === 'bytes-map');
        const map = maps.get(json) ?? new Map<string, string>();
        map.set(key, value);
        maps.set(json, map);
        break;
      }
    }
  }
  for (const [json, list] of lists) out[json] = list;
  // fromEntries defines own properties, so a key such as "__proto__" stays a key.
  for (const [json, map] of maps) out[json] = Object.fromEntries(map);
  return out;
}

function listOf(lists: Map<string, unknown[]>, json: string): unknown[] {
  const list = lists.get(json) ?? [];
  lists.set(json, list);
  return list;
}

/** A map entry: key = 1 (string), value = 2 (string, or bytes given back as base64). */
function readMapEntry(bytes: Uint8Array, binary: boolean): [string, string] {
  const reader = new BinaryReader(bytes);
  let key = '';
  let value = '';
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no !== 1 && no !== 2) {
      reader.skip(wireType, no);
      continue;
    }
    expectWire(wireType, WireType.LengthDelimited, `map entry field ${no}`);
    if (no === 1) key = reader.string(true);
    else value = binary ? Buffer.from(reader.bytes()).toString('base64') : reader.string(true);
  }
  return [key, value];
}

/** metav1.Time: seconds = 1, nanos = 2; the zero time reads as absent. */
function readTime(bytes: Uint8Array): string | undefined {
  const reader = new BinaryReader(bytes);
  let seconds = 0;
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === 1) {
      expectWire(wireType, WireType.Varint, 'Time.seconds');
      seconds = safeNumber(reader.int64(), 'Time.seconds');
    } else reader.skip(wireType, no);
  }
  if (seconds === 0) return undefined;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime()))
    throw badRequest(`the protobuf body has a time out of range: ${seconds} s`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function wireTypeOf(kind: FieldKind): WireType {
  return kind.type === 'bool' || kind.type === 'int64' ? WireType.Varint : WireType.LengthDelimited;
}

function expectWire(actual: WireType, expected: WireType, what: string): void {
  if (actual !== expected) {
    throw badRequest(`the protobuf body is malformed: ${what} has wire type ${actual}, expected ${expected}`);
  }
}

function safeNumber(value: bigint | string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw badRequest(`the protobuf body has ${what} out of range: ${String(value)}`);
  return n;
}

function unsupported(message: string): ApiError {
  return new ApiError('UnsupportedMediaType', message);
}
