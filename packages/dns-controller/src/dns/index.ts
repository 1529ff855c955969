/** The mesh DNS server: zone model, resolver, wire codec and the UDP/TCP shell. */
export {
  DEFAULT_MAX_UDP_PAYLOAD,
  DEFAULT_TTL,
  type ResolverOptions,
  resolve,
  resolverDefaults,
} from './answer.js';
export { type DecodeResult, decodeQuery } from './decode.js';
export { encodeResponse } from './encode.js';
export * from './message.js';
export { createDnsMetrics, type DnsMetrics } from './metrics.js';
export { encodeQuery, type QueryOptions } from './query.js';
export { encodeWithin, type Outcome, respond, type Transport, udpLimit } from './respond.js';
export { type ListeningAddress, MeshDnsServer, type MeshDnsServerOptions } from './server.js';
export {
  DEFAULT_MESH_DOMAIN,
  type MeshServiceEntry,
  type MeshServicePort,
  type MeshServiceRecord,
  MeshZone,
  validateMeshDomain,
  validateMeshServiceRecord,
} from './zone.js';
