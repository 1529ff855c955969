import { describe, expect, it } from 'vitest';
import { LABEL_COMPONENT, LABEL_PART_OF } from './contract.js';
import {
  shadowLabels,
  shadowListSelector,
  shadowOfFromLabels,
  shadowSelectorForProxies,
} from './shadow-labels.js';

describe('shadow labels', () => {
  it('round-trip the user Service', () => {
    const of = { namespace: 'shop', name: 'orders' };
    expect(shadowOfFromLabels(shadowLabels(of))).toEqual(of);
    expect(shadowLabels(of)).toEqual({
      'app.kubernetes.io/part-of': 'nodemesh',
      'app.kubernetes.io/managed-by': 'nodemesh-dns-controller',
      'nodemesh.io/shadow-of-namespace': 'shop',
      'nodemesh.io/shadow-of-name': 'orders',
    });
  });

  it.each([
    ['no labels', undefined],
    ['a list', []],
    ['another part-of', { ...shadowLabels({ namespace: 'a', name: 'b' }), [LABEL_PART_OF]: 'other' }],
    ['no name', { [LABEL_PART_OF]: 'nodemesh', 'nodemesh.io/shadow-of-namespace': 'a' }],
    ['an empty name', { ...shadowLabels({ namespace: 'a', name: 'b' }), 'nodemesh.io/shadow-of-name': '' }],
  ])('are not a shadow with %s', (_, labels) => {
    expect(shadowOfFromLabels(labels)).toBeUndefined();
  });

  it('select the node-proxy pods', () => {
    expect(shadowSelectorForProxies()).toEqual({
      [LABEL_COMPONENT]: 'node-proxy',
      [LABEL_PART_OF]: 'nodemesh',
    });
  });

  it('give a list selector that requires both shadow-of labels', () => {
    expect(shadowListSelector()).toBe(
      'app.kubernetes.io/part-of=nodemesh,nodemesh.io/shadow-of-namespace,nodemesh.io/shadow-of-name',
    );
  });
});
