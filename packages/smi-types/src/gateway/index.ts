export * from './attachment.js';
export * from './crds.js';
export { GATEWAY_GROUP } from './fields.js';
export { validateGrpcRoute } from './grpc-route.js';
export { validateHttpRoute } from './http-route.js';
export * from './kinds.js';
export * from './model.js';
export { referencePermitted, validateReferenceGrant } from './reference-grant.js';
export { validateTcpRoute } from './tcp-route.js';
