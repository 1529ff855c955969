/** The authorizer model the recorded-calls test relies on: scope, resourceNames and subresources. */
import type { AuditCall } from '@nodemesh/apiserver';
import { describe, expect, it } from 'vitest';
import { DEPLOY_DIR, expandKustomization } from './manifests.js';
import { type BoundRule, callUsesGrant, grantsOf, ruleAllows, rulesBoundTo } from './rbac-rules.js';

const rule = (over: Partial<BoundRule>): BoundRule => ({
  binding: 'test',
  scope: '*',
  apiGroups: [''],
  resources: ['configmaps'],
  verbs: ['get', 'watch', 'create'],
  resourceNames: [],
  ...over,
});
const call = (over: Partial<AuditCall>): AuditCall => ({
  verb: 'get',
  apiGroup: '',
  resource: 'configmaps',
  namespace: 'kube-system',
  name: 'coredns',
  ...over,
});

describe('ruleAllows', () => {
  it('honours the binding namespace', () => {
    expect(ruleAllows(rule({ scope: 'kube-system' }), call({}))).toBe(true);
    expect(ruleAllows(rule({ scope: 'nodemesh' }), call({}))).toBe(false);
    expect(ruleAllows(rule({ scope: 'nodemesh' }), call({ namespace: undefined }))).toBe(false);
  });

  it('honours resourceNames, which a create or an unnamed watch cannot satisfy', () => {
    const named = rule({ resourceNames: ['coredns'] });
    expect(ruleAllows(named, call({}))).toBe(true);
    expect(ruleAllows(named, call({ name: 'other' }))).toBe(false);
    expect(ruleAllows(named, call({ verb: 'watch', name: undefined }))).toBe(false);
    expect(ruleAllows(named, call({ verb: 'create', name: undefined }))).toBe(false);
  });

  it('matches group, verb and subresource exactly', () => {
    expect(ruleAllows(rule({}), call({ apiGroup: 'apps' }))).toBe(false);
    expect(ruleAllows(rule({}), call({ verb: 'update' }))).toBe(false);
    expect(ruleAllows(rule({}), call({ subresource: 'status' }))).toBe(false);
  });

  it('ties a grant to the rule it came from', () => {
    const [get] = grantsOf([rule({ scope: 'nodemesh' })]);
    expect(get?.label).toBe('get core/configmaps (test)');
    expect(get && callUsesGrant(get, call({ namespace: 'nodemesh' }))).toBe(true);
    expect(get && callUsesGrant(get, call({}))).toBe(false);
  });
});

describe('rulesBoundTo', () => {
  it('finds the Role and ClusterRole rules bound to the dns-controller, and none for a stranger', () => {
    const objects = expandKustomization(DEPLOY_DIR, { withoutCrds: true });
    const scopes = new Set(rulesBoundTo(objects, 'nodemesh', 'nodemesh-dns-controller').map((r) => r.scope));
    expect([...scopes].sort()).toEqual(['*', 'kube-system', 'nodemesh']);
    expect(rulesBoundTo(objects, 'nodemesh', 'someone-else')).toEqual([]);
  });
});
