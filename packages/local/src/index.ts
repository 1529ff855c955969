/** @nodemesh/local: local mode, the whole mesh on one machine. */
export { Forwarder } from './kube-proxy/forwarder.js';
export { type ForwardingPlan, type ForwardingRule, forwardingRules } from './kube-proxy/forwarding-rules.js';
