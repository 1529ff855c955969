import { parse as parseYaml } from 'yaml';
import { checkBody, checkName, validateObject } from '../admission/object-checks.js';
import { generateName } from '../admission/object-names.js';
import { fieldSetOf, previousAppliedFields, removeDroppedFields } from '../patch/applied-fields.js';
import { applyJsonPatch } from '../patch/json-patch.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import { applyStrategicMergePatch } from '../patch/strategic-merge-patch.js';
import { unknownCrdFields } from '../resources/crd-pruning.js';
import { apiVersionOf, type ResourceType, storageKey } from '../resources/resource-type.js';
import { type FieldRequirement, matchesFields } from '../selectors/field-selector.js';
import { type LabelRequirement, matchesLabels } from '../selectors/label-selector.js';
import type { ObjectStore } from '../store/object-store.js';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound } from './api-error.js';
import {
  asKubeObject,
  cloneJson,
  isRecord,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  labelsOf,
} from './kube-object.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** Per-kind rules run before an object is stored; may change it; returns an undo for side effects. */
export interface Admission {
  admit(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): () => void;
  deleted(type: ResourceType, obj: KubeObject): void;
}

/** What a list or watch selects. */
export interface Selection {
  namespace?: string;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function selects(selection: Selection, obj: KubeObject): boolean {
  if (selection.namespace && obj.metadata.namespace !== selection.namespace) return false;
  return matchesLabels(selection.labels, labelsOf(obj)) && matchesFields(selection.fields, obj);
}

/** The object as served at the type's version: apiVersion and kind set (versions share one storage). */
export function asServed(type: ResourceType, obj: KubeObject): KubeObject {
  return { ...obj, apiVersion: apiVersionOf(type), kind: type.kind };
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The REST semantics of Kubernetes over the store: names and namespaces, uid and timestamps, generation,
 * optimistic concurrency, status subresources, patches, finalizers. No HTTP here.
 */
export class ObjectApi {
  private dryRunning = false;
  private strictFields = false;
  constructor(
    private readonly store: ObjectStore,
    private readonly admission: Admission,
  ) {}

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(storageKey(type), this.ns(type, namespace), name);
    if (!obj) throw notFound(type.plural, type.group, name);
    return asServed(type, obj);
  }

  list(type: ResourceType, selection: Selection): JsonObject {
    const items = this.store
      .list(storageKey(type), type.namespaced ? selection.namespace : undefined)
      .filter((o) => selects(selection, o))
      .map((o) => asServed(type, o));
    return {
      apiVersion: apiVersionOf(type),
      kind: type.listKind,
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items: items as unknown as JsonValue[],
    };
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    const obj = checkBody(type, namespace, body);
    const ns = this.ns(type, namespace);
    if (!obj.metadata.name) {
      if (typeof obj.metadata.generateName === 'string' && obj.metadata.generateName !== '') {
        obj.metadata.name = this.freeName(type, ns, obj.metadata.generateName);
      } else {
        throw invalid(type.kind, type.group, '', [
          {
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
            reason: 'FieldValueRequired',
          },
        ]);
      }
    }
    const name = obj.metadata.name;
    checkName(type, name);
    if (ns !== undefined) {
      obj.metadata.namespace = ns;
      const namespaceObject =
        type.plural === 'namespaces' ? undefined : this.store.get('namespaces', undefined, ns);
      if (type.plural !== 'namespaces' && !namespaceObject) {
        throw new ApiError('NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
      }
      if (namespaceObject?.metadata.deletionTimestamp) {
        throw new ApiError(
          'Forbidden',
          `${type.plural} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
          { name, group: type.group, kind: type.plural },
        );
      }
    } else {
      delete obj.metadata.namespace;
    }
    if (this.store.get(storageKey(type), ns, name)) throw alreadyExists(type.plural, type.group, name);
    obj.metadata.uid = crypto.randomUUID();
    obj.metadata.creationTimestamp = now();
    obj.metadata.generation = 1;
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    this.pruneUnknown(type, obj);
    validateObject(type, obj);
    const undo = this.admission.admit(type, obj, undefined);
    return asServed(type, this.write(storageKey(type), obj, undo));
  }

  /** PUT of the object or of its status. Stale resourceVersion → 409 Conflict. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource?: 'status',
  ): KubeObject {
    const incoming = checkBody(type, namespace, body);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    incoming.metadata.name = name;
    return this.replace(type, namespace, name, incoming, subresource);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    rawBody: string,
    options: { subresource?: 'status'; fieldManager?: string } = {},
  ): { object: KubeObject; created: boolean } {
    const ns = this.ns(type, namespace);
    const current = this.store.get(storageKey(type), ns, name);
    let patch: unknown;
    try {
      patch = patchType === 'apply' ? parseYaml(rawBody, { logLevel: 'error' }) : JSON.parse(rawBody);
    } catch (error) {
      throw badRequest(
        `the patch body is not valid ${patchType === 'apply' ? 'YAML' : 'JSON'}: ${String(error)}`,
      );
    }
    if (patchType === 'apply') {
      return this.applyPatch(type, ns, name, patch, current, options.fieldManager);
    }
    if (!current) throw notFound(type.plural, type.group, name);
    const base = asServed(type, current) as unknown as JsonValue;
    let patched: unknown;
    if (patchType === 'merge') {
      if (!isRecord(patch)) throw badRequest('a merge patch must be a JSON object');
      patched = applyMergePatch(base, patch);
    } else {
      const result =
        patchType === 'json' ? applyJsonPatch(base, patch) : applyStrategicMergePatch(base, patch);
      if (!result.ok)
        throw new ApiError('Invalid', `the patch could not be applied: ${result.error}`, { name });
      patched = result.value;
    }
    const obj = asKubeObject(patched);
    if (!obj) throw new ApiError('Invalid', 'the patch produced something that is not an object', { name });
    if (obj.metadata.name !== name) {
      throw badRequest(`the patch may not change the name (from ${name} to ${String(obj.metadata.name)})`);
    }
    return { object: this.replace(type, namespace, name, obj, options.subresource), created: false };
  }

  /** DELETE: removes at once, or marks for deletion while finalizers remain. */
  delete(type: ResourceType, namespace: string | undefined, name: string, options: unknown): KubeObject {
    const key = storageKey(type);
    const ns = this.ns(type, namespace);
    const current = this.store.get(key, ns, name);
    if (!current) throw notFound(type.plural, type.group, name);
    const preconditions = isRecord(options) ? options.preconditions : undefined;
    if (isRecord(preconditions)) {
      if (
        typeof preconditions.resourceVersion === 'string' &&
        preconditions.resourceVersion !== current.metadata.resourceVersion
      ) {
        throw conflict(
          type.plural,
          type.group,
          name,
          `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      if (typeof preconditions.uid === 'string' && preconditions.uid !== current.metadata.uid) {
        throw conflict(
          type.plural,
          type.group,
          name,
          `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
    }
    if (storageKey(type) === 'namespaces') {
      // Like the real server: the Namespace turns Terminating; the namespace controller empties and removes it.
      if (current.metadata.deletionTimestamp) return asServed(type, current);
      current.metadata.deletionTimestamp = now();
      current.status = { phase: 'Terminating' };
      return asServed(
        type,
        this.write(key, current, () => {}),
      );
    }
    const finalizers = current.metadata.finalizers;
    if (Array.isArray(finalizers) && finalizers.length > 0) {
      if (current.metadata.deletionTimestamp) return asServed(type, current);
      current.metadata.deletionTimestamp = now();
      current.metadata.deletionGracePeriodSeconds = 0;
      return asServed(
        type,
        this.write(key, current, () => {}),
      );
    }
    return asServed(type, this.remove(type, current));
  }

  deleteCollection(type: ResourceType, selection: Selection, options: unknown): JsonObject {
    const list = this.list(type, selection);
    const items = Array.isArray(list.items) ? list.items : [];
    const deleted: JsonValue[] = [];
    for (const item of items) {
      const obj = asKubeObject(item);
      if (!obj?.metadata.name) continue;
      try {
        deleted.push(
          this.delete(type, obj.metadata.namespace, obj.metadata.name, options) as unknown as JsonValue,
        );
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
      }
    }
    return { ...list, items: deleted };
  }

  /**
   * Runs `operation` with the options of one request: `dryRun` (`?dryRun=All`: every check and admission
   * step happens, nothing is stored) and `strictFields` (`?fieldValidation=Strict`: undeclared fields of a
   * custom resource are an error instead of being pruned). Safe because the API is synchronous: no other
   * request runs in between.
   */
  withOptions<T>(options: { dryRun?: boolean; strictFields?: boolean }, operation: () => T): T {
    this.dryRunning = options.dryRun === true;
    this.strictFields = options.strictFields === true;
    try {
      return operation();
    } finally {
      this.dryRunning = false;
      this.strictFields = false;
    }
  }

  /** Prunes fields a CRD's schema does not declare, or with strict field validation refuses them (400). */
  private pruneUnknown(type: ResourceType, obj: KubeObject): void {
    if (type.schema === undefined) return;
    const unknown = unknownCrdFields(type.schema, obj as unknown as JsonValue, !this.strictFields);
    if (this.strictFields && unknown.length > 0) {
      throw badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
  }

  /** Stores an object, or in a dry run undoes the admission side effects and returns it unstored. */
  private write(key: string, obj: KubeObject, undo: () => void): KubeObject {
    if (this.dryRunning) {
      undo();
      return cloneJson(obj);
    }
    try {
      return this.store.put(key, obj);
    } catch (error) {
      undo();
      throw error;
    }
  }

  private remove(type: ResourceType, current: KubeObject): KubeObject {
    if (this.dryRunning) return current;
    const removed = this.store.remove(
      storageKey(type),
      current.metadata.namespace,
      current.metadata.name ?? '',
    );
    const result = removed ?? current;
    this.admission.deleted(type, result);
    return result;
  }

  private replace(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    incoming: KubeObject,
    subresource: 'status' | undefined,
  ): KubeObject {
    const key = storageKey(type);
    const ns = this.ns(type, namespace);
    const old = this.store.get(key, ns, name);
    if (!old) throw notFound(type.plural, type.group, name);
    const wanted = incoming.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== '' && wanted !== old.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    let next: KubeObject;
    if (subresource === 'status') {
      next = cloneJson(old);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = incoming;
      if (type.hasStatus) {
        if (old.status === undefined) delete next.status;
        else next.status = cloneJson(old.status);
      }
    }
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    const meta = next.metadata;
    meta.name = name;
    if (ns !== undefined) meta.namespace = ns;
    else delete meta.namespace;
    meta.uid = old.metadata.uid ?? crypto.randomUUID();
    meta.creationTimestamp = old.metadata.creationTimestamp ?? now();
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.metadata.managedFields !== undefined && meta.managedFields === undefined) {
      meta.managedFields = old.metadata.managedFields;
    }
    const oldGeneration = typeof old.metadata.generation === 'number' ? old.metadata.generation : 1;
    meta.generation = specPart(next) === specPart(old) ? oldGeneration : oldGeneration + 1;
    this.pruneUnknown(type, next);
    validateObject(type, next);
    const undo = this.admission.admit(type, next, old);
    if (this.dryRunning) next.metadata.resourceVersion = old.metadata.resourceVersion;
    const stored = this.write(key, next, undo);
    const finalizers = stored.metadata.finalizers;
    if (stored.metadata.deletionTimestamp && (!Array.isArray(finalizers) || finalizers.length === 0)) {
      return asServed(type, this.remove(type, stored));
    }
    return asServed(type, stored);
  }

  /** Server-side apply, simplified: creates, or merges the applied fields into the live object. */
  private applyPatch(
    type: ResourceType,
    ns: string | undefined,
    name: string,
    patch: unknown,
    current: KubeObject | undefined,
    fieldManager: string | undefined,
  ): { object: KubeObject; created: boolean } {
    if (!fieldManager) throw badRequest('fieldManager is required for apply patch requests');
    const applied = asKubeObject(patch);
    if (!applied) throw badRequest('an apply patch must be a YAML or JSON object');
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const nextFields = fieldSetOf(applied as unknown as JsonValue, true);
    const entry: JsonObject = {
      manager: fieldManager,
      operation: 'Apply',
      apiVersion: apiVersionOf(type),
      time: now(),
      fieldsType: 'FieldsV1',
      fieldsV1: nextFields as unknown as JsonValue,
    };
    const withManager = (obj: KubeObject): void => {
      const existing = Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : [];
      obj.metadata.managedFields = [
        ...existing.filter((m) => !(isRecord(m) && m.manager === fieldManager && m.operation === 'Apply')),
        entry,
      ];
    };
    if (!current) {
      applied.metadata.name = name;
      withManager(applied);
      const created = this.create(type, ns, applied);
      if (type.hasStatus && applied.status !== undefined && !this.dryRunning) {
        return {
          object: this.replace(type, ns, name, { ...created, status: applied.status }, 'status'),
          created: true,
        };
      }
      return { object: created, created: true };
    }
    const previousFields = previousAppliedFields(current, fieldManager);
    const { metadata: appliedMeta, ...appliedRest } = applied;
    const base = asServed(type, current);
    const mergedRest = type.crdName
      ? applyMergePatch(base, appliedRest)
      : mergeStrategic(base, appliedRest as JsonObject);
    const merged = removeDroppedFields(mergedRest, previousFields, nextFields) as unknown;
    const obj = asKubeObject(merged);
    if (!obj) throw new ApiError('InternalError', 'apply produced a non-object');
    const metaPatch = { ...appliedMeta };
    delete metaPatch.resourceVersion;
    obj.metadata = applyMergePatch(obj.metadata, metaPatch) as KubeObject['metadata'];
    obj.metadata.resourceVersion = current.metadata.resourceVersion;
    withManager(obj);
    return { object: this.replace(type, ns, name, obj, undefined), created: false };
  }

  private ns(type: ResourceType, namespace: string | undefined): string | undefined {
    return type.namespaced ? namespace || 'default' : undefined;
  }

  private freeName(type: ResourceType, ns: string | undefined, prefix: string): string {
    for (let i = 0; i < 16; i++) {
      const candidate = generateName(prefix);
      if (!this.store.get(storageKey(type), ns, candidate)) return candidate;
    }
    throw new ApiError(
      'AlreadyExists',
      `could not generate a free name with prefix ${JSON.stringify(prefix)}`,
    );
  }
}

function mergeStrategic(base: KubeObject, patch: JsonObject): JsonValue {
  const result = applyStrategicMergePatch(base, patch);
  if (!result.ok) throw new ApiError('Invalid', result.error);
  return result.value;
}
