import { describe, expect, it } from 'vitest';
import { resolvConfText, setResolver } from './resolver.js';

describe('a namespace resolver', () => {
  it('names one nameserver with one short try, and the search domains when given', () => {
    expect(resolvConfText('10.250.0.10')).toBe('nameserver 10.250.0.10\noptions timeout:1 attempts:1\n');
    expect(resolvConfText('10.250.0.10', { search: ['shop.svc.cluster.local', 'svc.cluster.local'] })).toBe(
      'nameserver 10.250.0.10\nsearch shop.svc.cluster.local svc.cluster.local\noptions timeout:1 attempts:1\n',
    );
  });

  it('takes a longer try and more of them when asked', () => {
    expect(resolvConfText('10.250.0.10', { timeoutSec: 2, attempts: 3 })).toBe(
      'nameserver 10.250.0.10\noptions timeout:2 attempts:3\n',
    );
  });

  it('refuses to write for a namespace the harness did not make', async () => {
    await expect(setResolver('cni-1234', '10.0.0.1')).rejects.toThrow(/refusing namespace "cni-1234"/);
    await expect(setResolver('nmt1-../../x', '10.0.0.1')).rejects.toThrow(/refusing namespace/);
  });
});
