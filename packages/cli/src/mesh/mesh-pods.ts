/**
 * The mesh's own pods as the CLI reads them from the API server: which component, on which node, whether
 * Ready, and the ports it reaches them on. Pure readers of untrusted objects: a field of the wrong type reads
 * as absent.
 */
import {
  LABEL_COMPONENT,
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  NODE_PROXY_COMPONENT,
} from '@nodemesh/smi-types';

export const DNS_CONTROLLER_COMPONENT = 'dns-controller';
export const NODE_PROXY_SELECTOR = `${LABEL_PART_OF}=${LABEL_PART_OF_VALUE},${LABEL_COMPONENT}=${NODE_PROXY_COMPONENT}`;
export const DNS_CONTROLLER_SELECTOR = `${LABEL_PART_OF}=${LABEL_PART_OF_VALUE},${LABEL_COMPONENT}=${DNS_CONTROLLER_COMPONENT}`;
/** The container port the components serve /metrics, /healthz and /readyz on (deploy/: 9090). */
export const ADMIN_PORT_NAME = 'admin';
export const DEFAULT_ADMIN_PORT = 9090;
/** The node-proxy's loopback-only /debug listener, when its container declares it; else --debug-port. */
export const DEBUG_PORT_NAME = 'debug';
export const DEFAULT_DEBUG_PORT = 9091;

export interface EnvEntry {
  readonly name: string;
  readonly value: string;
}

export interface MeshPod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string | undefined;
  readonly phase: string;
  /** The Ready condition is True and the pod is not being deleted. */
  readonly ready: boolean;
  readonly adminPort: number;
  readonly debugPort: number | undefined;
  readonly image: string | undefined;
  /** The first container's args, literal env values and envFrom ConfigMap names: its command line. */
  readonly args: readonly string[];
  readonly env: readonly EnvEntry[];
  readonly envFromConfigMaps: readonly string[];
}

type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function namedPort(container: Rec, name: string): number | undefined {
  for (const port of list(container.ports)) {
    if (isRec(port) && port.name === name && Number.isInteger(port.containerPort))
      return port.containerPort as number;
  }
  return undefined;
}

export function readMeshPod(raw: unknown): MeshPod | undefined {
  if (!isRec(raw) || !isRec(raw.metadata)) return undefined;
  const name = str(raw.metadata.name);
  const namespace = str(raw.metadata.namespace);
  if (name === undefined || namespace === undefined) return undefined;
  const spec = isRec(raw.spec) ? raw.spec : {};
  const status = isRec(raw.status) ? raw.status : {};
  const container = list(spec.containers).find(isRec) ?? {};
  const readyCondition = list(status.conditions).find((c) => isRec(c) && c.type === 'Ready');
  const deleting = raw.metadata.deletionTimestamp !== undefined;
  return {
    namespace,
    name,
    nodeName: str(spec.nodeName),
    phase: str(status.phase) ?? 'Unknown',
    ready: !deleting && isRec(readyCondition) && readyCondition.status === 'True',
    adminPort: namedPort(container, ADMIN_PORT_NAME) ?? DEFAULT_ADMIN_PORT,
    debugPort: namedPort(container, DEBUG_PORT_NAME),
    image: str(container.image),
    args: list(container.args).filter((a): a is string => typeof a === 'string'),
    env: list(container.env).flatMap((e) =>
      isRec(e) && typeof e.name === 'string' && typeof e.value === 'string'
        ? [{ name: e.name, value: e.value }]
        : [],
    ),
    envFromConfigMaps: list(container.envFrom).flatMap((e) =>
      isRec(e) && isRec(e.configMapRef) && typeof e.configMapRef.name === 'string'
        ? [e.configMapRef.name]
        : [],
    ),
  };
}

/** The pods of a list that could be read, by name. */
export function readMeshPods(items: readonly unknown[]): MeshPod[] {
  return items
    .flatMap((item) => {
      const pod = readMeshPod(item);
      return pod === undefined ? [] : [pod];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
