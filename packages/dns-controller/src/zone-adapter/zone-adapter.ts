/**
 * Keeps the mesh zone equal to the shadow Services: the shadow informer's events go in, `MeshZone.upsert` and
 * `remove` come out. Every replica runs it, leader or not, so every replica answers DNS from memory.
 */
import type { Logger } from '@nodemesh/kube-runtime';
import {
  formatFieldErrors,
  type ParsedShadow,
  parseShadowService,
  type ShadowOf,
  shadowServiceName,
} from '@nodemesh/smi-types';
import type { MeshServiceRecord, MeshZone } from '../dns/zone.js';

/** The zone's record of a shadow: the user Service's name, the shadow's ClusterIPs, its ports with names. */
export function meshRecordOf(shadow: ParsedShadow): MeshServiceRecord {
  return {
    namespace: shadow.of.namespace,
    name: shadow.of.name,
    clusterIPs: shadow.clusterIPs.filter((ip) => ip !== '' && ip !== 'None'),
    ports: shadow.ports.map(({ name, port, protocol }) => ({ name, port, protocol })),
  };
}

const ofKey = (of: ShadowOf) => `${of.namespace}/${of.name}`;

/**
 * Informer handlers over a MeshZone. Several shadows may name one user Service for a moment (a rename); the
 * one under the canonical name wins, else the last seen.
 */
export class ZoneAdapter {
  /** shadow object key → what it holds. */
  private readonly shadows = new Map<string, ParsedShadow>();

  constructor(
    private readonly zone: MeshZone,
    private readonly logger: Logger,
  ) {}

  onAdd(obj: unknown): void {
    this.apply(undefined, obj);
  }

  onUpdate(current: unknown, previous: unknown): void {
    this.apply(previous, current);
  }

  onDelete(obj: unknown): void {
    this.apply(obj, undefined);
  }

  private apply(previous: unknown, current: unknown): void {
    const key = objectKey(current ?? previous);
    if (key === undefined) return;
    const before = this.shadows.get(key);
    this.shadows.delete(key);
    let after: ParsedShadow | undefined;
    if (current !== undefined) {
      const parsed = parseShadowService(current);
      if (parsed.ok) {
        after = parsed.value;
        this.shadows.set(key, after);
      } else {
        this.logger.warn('shadow Service cannot be read; its mesh name is withdrawn', {
          shadow: key,
          errors: formatFieldErrors(parsed.errors),
        });
      }
    }
    if (before !== undefined) this.refresh(before.of);
    if (after !== undefined && (before === undefined || ofKey(before.of) !== ofKey(after.of)))
      this.refresh(after.of);
  }

  /** Puts in the zone what the shadows of `of` say now. */
  private refresh(of: ShadowOf): void {
    const candidates = [...this.shadows.values()].filter((s) => ofKey(s.of) === ofKey(of));
    const chosen =
      candidates.find((s) => s.name === shadowServiceName(of.namespace, of.name)) ?? candidates.at(-1);
    if (chosen === undefined) {
      this.zone.remove(of.namespace, of.name);
      return;
    }
    const result = this.zone.upsert(meshRecordOf(chosen));
    if (!result.ok) {
      this.zone.remove(of.namespace, of.name);
      this.logger.warn('shadow Service does not make a valid DNS record', {
        shadow: `${chosen.namespace}/${chosen.name}`,
        errors: formatFieldErrors(result.errors),
      });
    }
  }
}

function objectKey(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const metadata = (obj as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { namespace, name } = metadata as { namespace?: unknown; name?: unknown };
  if (typeof name !== 'string' || name === '') return undefined;
  return `${typeof namespace === 'string' ? namespace : ''}/${name}`;
}
