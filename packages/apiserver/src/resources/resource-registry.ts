import { builtinResources } from './builtin-resources.js';
import type { ResourceType } from './resource-type.js';

/** A served API group with its versions, preferred version first. */
export interface ServedGroup {
  name: string;
  versions: string[];
}

/**
 * The resources being served: the built-ins plus those of established CRDs, looked up by group, version and
 * plural. CRD resources come and go at run time.
 */
export class ResourceRegistry {
  private readonly crdTypes = new Map<string, ResourceType[]>();
  private changes = 0;

  /** Bumped whenever the served set changes (clients key their OpenAPI caches on it). */
  get generation(): number {
    return this.changes;
  }

  all(): ResourceType[] {
    return [...builtinResources, ...[...this.crdTypes.values()].flat()];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  /** Named groups (not the core group), in order of first appearance. */
  groups(): ServedGroup[] {
    const out: ServedGroup[] = [];
    for (const t of this.all()) {
      if (t.group === '') continue;
      const existing = out.find((g) => g.name === t.group);
      if (!existing) out.push({ name: t.group, versions: [t.version] });
      else if (!existing.versions.includes(t.version)) existing.versions.push(t.version);
    }
    return out;
  }

  setCrd(crdName: string, types: ResourceType[]): void {
    this.crdTypes.set(crdName, types);
    this.changes += 1;
  }

  removeCrd(crdName: string): void {
    if (this.crdTypes.delete(crdName)) this.changes += 1;
  }

  hasCrd(crdName: string): boolean {
    return this.crdTypes.has(crdName);
  }
}
