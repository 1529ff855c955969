/**
 * The messages this server reads as protobuf: the kinds kubectl 1.32 creates with a typed client and a
 * protobuf body (`kubectl create namespace|serviceaccount|configmap|secret generic`). Field numbers are those
 * of k8s.io/api/core/v1 and k8s.io/apimachinery/pkg/apis/meta/v1 (generated.proto). Everything else is sent
 * as JSON by kubectl and by client-node, and a protobuf body of another kind gets 415.
 */
import { field, type MessageSchema, message } from './message-schema.js';

const ownerReference = message('OwnerReference', {
  1: field.string('kind'),
  3: field.string('name'),
  4: field.string('uid'),
  5: field.string('apiVersion'),
  6: field.bool('controller'),
  7: field.bool('blockOwnerDeletion'),
});

/** metav1.ObjectMeta without managedFields (17), which no create from kubectl carries. */
const objectMeta = message('ObjectMeta', {
  1: field.string('name'),
  2: field.string('generateName'),
  3: field.string('namespace'),
  4: field.string('selfLink'),
  5: field.string('uid'),
  6: field.string('resourceVersion'),
  7: field.int64('generation'),
  8: field.time('creationTimestamp'),
  9: field.time('deletionTimestamp'),
  10: field.int64('deletionGracePeriodSeconds'),
  11: field.stringMap('labels'),
  12: field.stringMap('annotations'),
  13: field.messages('ownerReferences', ownerReference),
  14: field.strings('finalizers'),
});

const namespace = message('Namespace', {
  1: field.message('metadata', objectMeta),
  2: field.message('spec', message('NamespaceSpec', { 1: field.strings('finalizers') })),
  3: field.message('status', message('NamespaceStatus', { 1: field.string('phase') })),
});

const objectReference = message('ObjectReference', {
  1: field.string('kind'),
  2: field.string('namespace'),
  3: field.string('name'),
  4: field.string('uid'),
  5: field.string('apiVersion'),
  6: field.string('resourceVersion'),
  7: field.string('fieldPath'),
});

const serviceAccount = message('ServiceAccount', {
  1: field.message('metadata', objectMeta),
  2: field.messages('secrets', objectReference),
  3: field.messages('imagePullSecrets', message('LocalObjectReference', { 1: field.string('name') })),
  4: field.bool('automountServiceAccountToken'),
});

const configMap = message('ConfigMap', {
  1: field.message('metadata', objectMeta),
  2: field.stringMap('data'),
  3: field.bytesMap('binaryData'),
  4: field.bool('immutable'),
});

const secret = message('Secret', {
  1: field.message('metadata', objectMeta),
  2: field.bytesMap('data'),
  3: field.string('type'),
  4: field.stringMap('stringData'),
  5: field.bool('immutable'),
});

/** By `apiVersion` and `kind` of the envelope's TypeMeta. */
export const PROTOBUF_KINDS: ReadonlyMap<string, MessageSchema> = new Map([
  ['v1 Namespace', namespace],
  ['v1 ServiceAccount', serviceAccount],
  ['v1 ConfigMap', configMap],
  ['v1 Secret', secret],
]);
