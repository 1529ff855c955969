import { describe, expect, it } from 'vitest';
import { addStubDomain, removeStubDomain } from './kube-dns.js';

const target = { domain: 'mesh', address: '10.96.0.53', port: 53 };

describe('kube-dns stubDomains', () => {
  it('adds the mesh domain and keeps other entries', () => {
    expect(addStubDomain('{"acme.local": ["1.2.3.4"]}', target)).toEqual({
      ok: true,
      value: { stubDomains: '{"acme.local":["1.2.3.4"],"mesh":["10.96.0.53"]}', changed: true },
    });
  });

  it('creates the JSON when there is none', () => {
    for (const empty of [undefined, '', '  \n']) {
      expect(addStubDomain(empty, target)).toEqual({
        ok: true,
        value: { stubDomains: '{"mesh":["10.96.0.53"]}', changed: true },
      });
    }
  });

  it('writes a port other than 53 as ip:port', () => {
    const result = addStubDomain(undefined, { ...target, port: 5353 });
    expect(result.ok && result.value.stubDomains).toBe('{"mesh":["10.96.0.53:5353"]}');
  });

  it('is idempotent and keeps the bytes when nothing changes', () => {
    const json = '{\n  "mesh": [ "10.96.0.53" ]\n}\n';
    expect(addStubDomain(json, target)).toEqual({ ok: true, value: { stubDomains: json, changed: false } });
  });

  it('updates a changed target', () => {
    const result = addStubDomain('{"mesh":["10.0.0.1"]}', target);
    expect(result.ok && result.value).toEqual({ stubDomains: '{"mesh":["10.96.0.53"]}', changed: true });
  });

  it.each([
    ['{"acme.local": [', 'data.stubDomains: is not valid JSON'],
    ['["1.2.3.4"]', 'data.stubDomains: must be a JSON object of domain → list of servers, got'],
    ['null', 'data.stubDomains: must be a JSON object'],
  ])('reports %j and changes nothing', (json, message) => {
    for (const result of [addStubDomain(json, target), removeStubDomain(json, 'mesh')]) {
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : `${result.errors[0]?.path}: ${result.errors[0]?.message}`).toContain(message);
    }
  });

  it('removes the mesh domain only, and drops the key when nothing is left', () => {
    expect(removeStubDomain('{"acme.local":["1.2.3.4"],"mesh":["10.96.0.53"]}', 'mesh')).toEqual({
      ok: true,
      value: { stubDomains: '{"acme.local":["1.2.3.4"]}', changed: true },
    });
    expect(removeStubDomain('{"mesh":["10.96.0.53"]}', 'mesh')).toEqual({
      ok: true,
      value: { stubDomains: undefined, changed: true },
    });
    expect(removeStubDomain('{"acme.local":["1.2.3.4"]}', 'mesh')).toEqual({
      ok: true,
      value: { stubDomains: '{"acme.local":["1.2.3.4"]}', changed: false },
    });
  });
});
