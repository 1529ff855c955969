import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './api-server.js';
import { parseCliArgs } from './cli-args.js';

describe('parseCliArgs', () => {
  it('reads port, host and service CIDR, in both flag forms', () => {
    expect(
      parseCliArgs(['--port', '6443', '--host=127.0.0.2', '--service-cidr', '127.96.0.0/16'], isLoopbackHost),
    ).toEqual({
      ok: true,
      value: {
        port: 6443,
        host: '127.0.0.2',
        serviceCidr: '127.96.0.0/16',
        allowNonLoopback: false,
        help: false,
      },
    });
    expect(parseCliArgs(['--help'], isLoopbackHost)).toMatchObject({ ok: true, value: { help: true } });
  });

  it('explains bad flags', () => {
    const error = (args: string[]) => {
      const parsed = parseCliArgs(args, isLoopbackHost);
      return parsed.ok ? '' : parsed.error;
    };
    expect(error([])).toBe('--port is required');
    expect(error(['--port', 'http'])).toContain('--port needs a number');
    expect(error(['--port', '70000'])).toContain('--port needs a number');
    expect(error(['--port', '1', '--service-cidr', '10.0.0.1/8'])).toContain('host bits');
    expect(error(['--port', '1', '--frobnicate'])).toContain('unknown argument "--frobnicate"');
    expect(error(['--port', '1', '--host', '0.0.0.0'])).toContain('not a loopback address');
    expect(
      parseCliArgs(['--port', '1', '--host', '0.0.0.0', '--allow-non-loopback'], isLoopbackHost).ok,
    ).toBe(true);
  });
});
