/**
 * The dns-controller's settings as it runs them: its command line and environment (literal values and the
 * ConfigMaps of envFrom), parsed by the dns-controller's own pure parser, so the CLI and the controller can
 * never read a flag differently.
 */
import { type ControllerConfig, DEFAULT_CONTROLLER_CONFIG, parseCommandLine } from '@nodemesh/dns-controller';
import { formatFieldErrors } from '@nodemesh/smi-types';
import type { MeshPod } from './mesh-pods.js';

export interface ControllerSettings {
  readonly config: ControllerConfig;
  /** Where they came from, for the check's output. */
  readonly source: string;
  /** Why the defaults were used instead, when they were. */
  readonly problem: string | undefined;
}

/**
 * Settings from a dns-controller pod's container: envFrom ConfigMaps first, literal env over them (as the
 * kubelet builds the environment), flags over both. `configMaps` maps a ConfigMap name to its data.
 */
export function settingsFromPod(
  pod: MeshPod,
  configMaps: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): ControllerSettings {
  const env: Record<string, string> = {};
  for (const name of pod.envFromConfigMaps) {
    for (const [key, value] of Object.entries(configMaps.get(name) ?? {})) {
      if (typeof value === 'string' && key.startsWith('NODEMESH_')) env[key] = value;
    }
  }
  for (const entry of pod.env) if (entry.name.startsWith('NODEMESH_')) env[entry.name] = entry.value;
  const parsed = parseCommandLine(pod.args, env);
  if (!parsed.ok) {
    return {
      config: DEFAULT_CONTROLLER_CONFIG,
      source: 'defaults',
      problem: `pod ${pod.namespace}/${pod.name} has settings the dns-controller refuses: ${formatFieldErrors(parsed.errors).replaceAll('\n', '; ')}`,
    };
  }
  return { config: parsed.value.config, source: `pod ${pod.namespace}/${pod.name}`, problem: undefined };
}

/** The defaults, in the mesh namespace given, when no dns-controller pod can be read. */
export function defaultSettings(meshNamespace: string, problem: string): ControllerSettings {
  return { config: { ...DEFAULT_CONTROLLER_CONFIG, meshNamespace }, source: 'defaults', problem };
}
