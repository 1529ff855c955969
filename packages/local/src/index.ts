/** @nodemesh/local: local mode, the whole mesh on one machine. */
export { Forwarder } from './kube-proxy/forwarder.js';
export { type ForwardingPlan, type ForwardingRule, forwardingRules } from './kube-proxy/forwarding-rules.js';
export { type LocalMesh, startLocalMesh } from './launcher.js';
export { DEFAULT_LOCAL_SETTINGS, type LocalSettings } from './settings.js';
