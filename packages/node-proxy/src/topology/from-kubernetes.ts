/**
 * From the parsed Kubernetes objects of `@nodemesh/smi-types` to the builder's inputs. Pure mapping: the
 * informer wiring parses and validates (`readUserService`, `parseServiceAnnotations`, `parseShadowService`,
 * `parseEndpointSlice`), keeps the last good value of each object, and calls these on change. Return the
 * same object for an unchanged Service, so the builder's memo hits.
 */
import type { ParsedShadow, ServiceMeshConfig, UserService } from '@nodemesh/smi-types';
import type { MeshServiceInput, ServicePortInput } from './inputs.js';

/** A user Service, its mesh config and (when the dns-controller made one) its shadow, as builder input. */
export function meshServiceInput(
  user: UserService,
  config: ServiceMeshConfig,
  shadow: ParsedShadow | undefined,
): MeshServiceInput {
  const ports: ServicePortInput[] = [];
  for (const port of user.ports) {
    // The proxy speaks TCP and UDP only; an SCTP port has no shadow port either.
    if (port.protocol === 'SCTP') continue;
    ports.push({ name: port.name ?? '', port: port.port, protocol: port.protocol });
  }
  return {
    namespace: user.namespace,
    name: user.name,
    config,
    ports,
    ...(shadow === undefined ? {} : { shadow: { clusterIPs: shadow.clusterIPs, ports: shadow.ports } }),
  };
}
