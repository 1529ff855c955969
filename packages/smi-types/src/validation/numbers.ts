import { describeValue } from './describe.js';
import type { ErrorSink } from './read-fields.js';

/** The largest weight accepted: SMI's Go types hold weights in an `int`, 32 bits on some platforms. */
export const MAX_INT32 = 2_147_483_647;

export function expectPort(value: unknown, path: string, errors: ErrorSink): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  errors.push({ path, message: `must be a port number from 1 to 65535, got ${describeValue(value)}` });
  return undefined;
}

export function expectNonNegativeInt32(value: unknown, path: string, errors: ErrorSink): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    errors.push({ path, message: `must be a non-negative integer, got ${describeValue(value)}` });
    return undefined;
  }
  if (value > MAX_INT32) {
    errors.push({ path, message: `must be at most ${MAX_INT32}, got ${describeValue(value)}` });
    return undefined;
  }
  return value;
}
