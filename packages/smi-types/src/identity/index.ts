export * from './contract.js';
export * from './issuance-api.js';
export * from './mtls-mode.js';
export * from './spiffe-id.js';
