/**
 * Which ServiceAccounts the pods a Service selects run as: `(namespace, selector) → serviceAccounts`, kept
 * up to date pod by pod from the informer's events. In memory only, no I/O.
 *
 * Replicas of one workload share their labels and ServiceAccount, so pods are grouped by that "shape" and a
 * selector is matched against shapes, starting from the rarest of its `key=value` pairs: a lookup costs the
 * shapes carrying that pair, not every pod of the namespace.
 */
import type { PodView } from './pod-view.js';

interface Shape {
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** How many active pods have this shape. */
  pods: number;
}

interface NamespaceIndex {
  readonly shapes: Map<string, Shape>;
  /** `key=value` → the shapes carrying that label. */
  readonly byLabel: Map<string, Set<Shape>>;
}

/** What the index remembers of one pod: the shape it counts in, or nothing when it does not count. */
interface PodEntry {
  readonly namespace: string;
  readonly shapeKey: string;
}

const labelKey = (key: string, value: string) => `${key}=${value}`;

function shapeKeyOf(view: PodView): string {
  const labels = Object.entries(view.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([view.serviceAccount, labels]);
}

export class ServiceAccountIndex {
  private readonly namespaces = new Map<string, NamespaceIndex>();
  /** `namespace/name` → where the pod counts. */
  private readonly pods = new Map<string, PodEntry>();

  /**
   * Records the current state of the pod `key` (`namespace/name`; `undefined` view: it is gone or cannot be
   * read). Returns whether that changed what the index knows: a pod whose status changed but whose labels,
   * ServiceAccount and being active did not, changes nothing, so it need not trigger a sync.
   */
  set(key: string, view: PodView | undefined): boolean {
    const before = this.pods.get(key);
    const after = view?.active ? { namespace: view.namespace, shapeKey: shapeKeyOf(view) } : undefined;
    if (before?.shapeKey === after?.shapeKey && before?.namespace === after?.namespace) return false;
    if (before !== undefined) {
      this.release(before);
      this.pods.delete(key);
    }
    if (after !== undefined && view !== undefined) {
      this.retain(after, view);
      this.pods.set(key, after);
    }
    return true;
  }

  /**
   * The ServiceAccounts of the active pods in `namespace` whose labels include every pair of `selector`,
   * sorted. `undefined` for a Service without a selector (nil or empty: Kubernetes selects no pods then).
   */
  serviceAccountsFor(
    namespace: string,
    selector: Readonly<Record<string, string>> | undefined,
  ): string[] | undefined {
    const pairs = Object.entries(selector ?? {});
    if (pairs.length === 0) return undefined;
    const index = this.namespaces.get(namespace);
    if (index === undefined) return [];
    let rarest: Set<Shape> | undefined;
    for (const [key, value] of pairs) {
      const shapes = index.byLabel.get(labelKey(key, value));
      if (shapes === undefined) return [];
      if (rarest === undefined || shapes.size < rarest.size) rarest = shapes;
    }
    const accounts = new Set<string>();
    for (const shape of rarest ?? []) {
      if (pairs.every(([key, value]) => shape.labels[key] === value)) accounts.add(shape.serviceAccount);
    }
    return [...accounts].sort();
  }

  /** Active pods known, for tests and logs. */
  get size(): number {
    return this.pods.size;
  }

  private retain(entry: PodEntry, view: PodView): void {
    let index = this.namespaces.get(entry.namespace);
    if (index === undefined) {
      index = { shapes: new Map(), byLabel: new Map() };
      this.namespaces.set(entry.namespace, index);
    }
    const existing = index.shapes.get(entry.shapeKey);
    if (existing !== undefined) {
      existing.pods++;
      return;
    }
    const shape: Shape = { labels: { ...view.labels }, serviceAccount: view.serviceAccount, pods: 1 };
    index.shapes.set(entry.shapeKey, shape);
    for (const [key, value] of Object.entries(shape.labels)) {
      const k = labelKey(key, value);
      const set = index.byLabel.get(k) ?? new Set();
      set.add(shape);
      index.byLabel.set(k, set);
    }
  }

  private release(entry: PodEntry): void {
    const index = this.namespaces.get(entry.namespace);
    const shape = index?.shapes.get(entry.shapeKey);
    if (index === undefined || shape === undefined) return;
    shape.pods--;
    if (shape.pods > 0) return;
    index.shapes.delete(entry.shapeKey);
    for (const [key, value] of Object.entries(shape.labels)) {
      const k = labelKey(key, value);
      const set = index.byLabel.get(k);
      set?.delete(shape);
      if (set?.size === 0) index.byLabel.delete(k);
    }
    if (index.shapes.size === 0) this.namespaces.delete(entry.namespace);
  }
}
