import { BinaryWriter } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KUBECTL_1_32_CREATE_BODIES } from '../../test/fixtures/kubectl-protobuf-bodies.js';
import { ApiError } from '../api/api-error.js';
import { decodeKubeProtobuf } from './decode-protobuf.js';

const body = (hex: string) => Buffer.from(hex, 'hex');

/** `k8s\0` + runtime.Unknown around `raw`, as a client would write it. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array, contentEncoding = ''): Buffer {
  const typeMeta = new BinaryWriter().tag(1, 2).string(apiVersion).tag(2, 2).string(kind).finish();
  const unknown = new BinaryWriter()
    .tag(1, 2)
    .bytes(typeMeta)
    .tag(2, 2)
    .bytes(raw)
    .tag(3, 2)
    .string(contentEncoding)
    .tag(4, 2)
    .string('')
    .finish();
  return Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), unknown]);
}

function failure(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('decodeKubeProtobuf', () => {
  it('reads what kubectl 1.32 sends for create namespace, serviceaccount, configmap and secret', () => {
    const { namespace, serviceAccount, configMap, secret } = KUBECTL_1_32_CREATE_BODIES;
    expect(decodeKubeProtobuf(body(namespace.hex))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    });
    expect(decodeKubeProtobuf(body(serviceAccount.hex))).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'orders', namespace: 'shop' },
    });
    expect(decodeKubeProtobuf(body(configMap.hex))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'shop' },
      data: { mode: 'fast' },
    });
    expect(decodeKubeProtobuf(body(secret.hex))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'token', namespace: 'shop' },
      data: { key: Buffer.from('s3cr3t').toString('base64') },
    });
  });

  it('reads labels, annotations, finalizers, owner references, times and pointer bools', () => {
    const entry = (key: string, value: string) =>
      new BinaryWriter().tag(1, 2).string(key).tag(2, 2).string(value).finish();
    const owner = new BinaryWriter()
      .tag(1, 2)
      .string('Deployment')
      .tag(3, 2)
      .string('web')
      .tag(6, 0)
      .bool(true)
      .finish();
    const time = new BinaryWriter().tag(1, 0).int64(1_767_225_600).finish();
    const meta = new BinaryWriter()
      .tag(1, 2)
      .string('sa')
      .tag(8, 2)
      .bytes(time)
      .tag(11, 2)
      .bytes(entry('app', 'web'))
      .tag(12, 2)
      .bytes(entry('__proto__', 'polluted?'))
      .tag(13, 2)
      .bytes(owner)
      .tag(14, 2)
      .string('a')
      .tag(14, 2)
      .string('b')
      .finish();
    const account = new BinaryWriter().tag(1, 2).bytes(meta).tag(4, 0).bool(false).finish();
    const decoded = decodeKubeProtobuf(envelope('v1', 'ServiceAccount', account));
    expect(decoded).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'sa',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'web' },
        annotations: JSON.parse('{"__proto__":"polluted?"}'),
        ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }],
        finalizers: ['a', 'b'],
      },
      automountServiceAccountToken: false,
    });
    const annotations = (decoded.metadata as { annotations: object }).annotations;
    expect(Object.getPrototypeOf(annotations)).toBe(Object.prototype);
    expect(Object.keys(annotations)).toEqual(['__proto__']);
  });

  it('answers 415 for kinds and fields it does not describe, naming what to send instead', () => {
    const deployment = failure(() => decodeKubeProtobuf(envelope('apps/v1', 'Deployment', new Uint8Array())));
    expect(deployment.code).toBe(415);
    expect(deployment.message).toContain('send Deployment as application/json');
    const managedFields = new BinaryWriter()
      .tag(1, 2)
      .bytes(new BinaryWriter().tag(17, 2).bytes(new Uint8Array()).finish())
      .finish();
    const field = failure(() => decodeKubeProtobuf(envelope('v1', 'ConfigMap', managedFields)));
    expect(field).toEqual({
      code: 415,
      message:
        'protobuf field 17 of ObjectMeta is not understood by this server; send the object as application/json',
    });
    expect(
      failure(() => decodeKubeProtobuf(envelope('v1', 'ConfigMap', new Uint8Array(), 'gzip'))).code,
    ).toBe(415);
  });

  it('answers 400 for bodies that are not a well-formed Kubernetes protobuf', () => {
    expect(failure(() => decodeKubeProtobuf(Buffer.from('{"kind":"Namespace"}'))).code).toBe(400);
    const { configMap } = KUBECTL_1_32_CREATE_BODIES;
    const truncated = body(configMap.hex).subarray(0, 30);
    expect(failure(() => decodeKubeProtobuf(truncated)).code).toBe(400);
    // `name` sent as a varint instead of a string.
    const wrongWire = new BinaryWriter()
      .tag(1, 2)
      .bytes(new BinaryWriter().tag(1, 0).int32(7).finish())
      .finish();
    expect(failure(() => decodeKubeProtobuf(envelope('v1', 'ConfigMap', wrongWire))).message).toMatch(
      /ObjectMeta\.name has wire type 0, expected 2/,
    );
    const badUtf8 = new BinaryWriter()
      .tag(1, 2)
      .bytes(new BinaryWriter().tag(1, 2).bytes(Uint8Array.of(0xff, 0xfe)).finish())
      .finish();
    expect(failure(() => decodeKubeProtobuf(envelope('v1', 'ConfigMap', badUtf8))).code).toBe(400);
  });

  it('never throws anything but an ApiError, whatever the bytes', () => {
    const recorded = Object.values(KUBECTL_1_32_CREATE_BODIES).map((b) => body(b.hex));
    fc.assert(
      fc.property(
        fc.constantFrom(...recorded),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (original, flips, cut) => {
          const bytes = Buffer.from(original);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const mutated = bytes.subarray(0, Math.max(4, bytes.length - (cut % 8)));
          try {
            decodeKubeProtobuf(mutated);
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
