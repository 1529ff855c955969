/** Reads the settings a sample pod is started with. A missing one is a clear error, not a silent default. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`sample: environment variable ${name} is required`);
  }
  return value;
}

export function portEnv(name: string): number {
  const raw = requiredEnv(name);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`sample: ${name} must be a port from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}
