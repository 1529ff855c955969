/**
 * kube-dns (older GKE and kubeadm clusters): the mesh zone goes in the `stubDomains` JSON of the
 * `kube-dns` ConfigMap, `{"<domain>": ["<ip>"]}`. Other stub domains are kept. Pure: no I/O.
 */
import { describeValue, fail, ok, type Result } from '@nodemesh/smi-types';
import { hostPort, type MeshForwardTarget, validateForwardTarget } from './forward-target.js';

export const STUB_DOMAINS_KEY = 'stubDomains';

export interface StubDomainsEdit {
  /** The new JSON, or undefined when no stub domain is left (the key can go). */
  readonly stubDomains: string | undefined;
  readonly changed: boolean;
}

type StubDomains = Record<string, unknown>;

function parseStubDomains(json: string | undefined): Result<StubDomains> {
  if (json === undefined || json.trim() === '') return ok({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail([{ path: `data.${STUB_DOMAINS_KEY}`, message: `is not valid JSON (${reason})` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail([
      {
        path: `data.${STUB_DOMAINS_KEY}`,
        message: `must be a JSON object of domain → list of servers, got ${describeValue(parsed)}`,
      },
    ]);
  }
  return ok(parsed as StubDomains);
}

/** kube-dns takes a bare IP for port 53 and `ip:port` otherwise. */
function stubServer(target: MeshForwardTarget): string {
  return target.port === 53 ? target.address : hostPort(target.address, target.port);
}

/** Sets the mesh domain's stub server; unchanged (same bytes) if it already points there. */
export function addStubDomain(json: string | undefined, target: MeshForwardTarget): Result<StubDomainsEdit> {
  const checked = validateForwardTarget(target);
  if (!checked.ok) return checked;
  const parsed = parseStubDomains(json);
  if (!parsed.ok) return parsed;
  const wanted = [stubServer(target)];
  const current = parsed.value[target.domain];
  if (JSON.stringify(current) === JSON.stringify(wanted)) return ok({ stubDomains: json, changed: false });
  return ok({ stubDomains: JSON.stringify({ ...parsed.value, [target.domain]: wanted }), changed: true });
}

/** Removes the mesh domain; other entries stay. */
export function removeStubDomain(json: string | undefined, domain: string): Result<StubDomainsEdit> {
  const parsed = parseStubDomains(json);
  if (!parsed.ok) return parsed;
  if (!Object.hasOwn(parsed.value, domain)) return ok({ stubDomains: json, changed: false });
  const { [domain]: _removed, ...rest } = parsed.value;
  return ok({
    stubDomains: Object.keys(rest).length === 0 ? undefined : JSON.stringify(rest),
    changed: true,
  });
}
