import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'dns-controller',
    ...(level === undefined ? {} : { level }),
    write: (line) => lines.push(line),
    now: () => new Date(0),
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, component and message', () => {
    const { logger, lines, parsed } = capture();
    logger.info('synced', { objects: 3 });
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(parsed()).toEqual([
      {
        time: '1970-01-01T00:00:00.000Z',
        level: 'info',
        component: 'dns-controller',
        msg: 'synced',
        objects: 3,
      },
    ]);
  });

  it('drops lines below its level', () => {
    const { logger, parsed } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(parsed().map((line) => line.msg)).toEqual(['c', 'd']);
  });

  it('adds child fields, reduces errors to their message and masks credential-like fields', () => {
    const { logger, parsed } = capture();
    logger
      .child({ informer: 'services' })
      .warn('failed', { error: new Error('boom'), token: 'abc', level: 'x' });
    expect(parsed()[0]).toMatchObject({
      informer: 'services',
      error: 'boom',
      token: '[redacted]',
      level: 'warn',
    });
  });

  it('survives cyclic fields', () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    logger.info('odd', { cyclic });
    expect(parsed()[0]).toMatchObject({ msg: 'odd' });
  });
});
