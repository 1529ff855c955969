/** An IPv4 CIDR as numbers: network address and prefix length. */
export interface Ipv4Cidr {
  network: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

/** Parses dotted-quad IPv4 into a 32-bit unsigned number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `10.96.0.0/16`. The host bits must be zero. IPv4 only. */
export function parseCidr(text: string): { ok: true; value: Ipv4Cidr } | { ok: false; error: string } {
  const [addr = '', prefixText = '', ...rest] = text.split('/');
  const network = parseIpv4(addr);
  if (network === undefined || rest.length > 0 || !/^[0-9]{1,2}$/.test(prefixText)) {
    return {
      ok: false,
      error: `invalid CIDR ${JSON.stringify(text)}: expected an IPv4 block like 10.96.0.0/16`,
    };
  }
  const prefix = Number(prefixText);
  if (prefix < 8 || prefix > 30)
    return { ok: false, error: `invalid CIDR ${JSON.stringify(text)}: prefix must be between /8 and /30` };
  const size = 2 ** (32 - prefix);
  if (network % size !== 0)
    return { ok: false, error: `invalid CIDR ${JSON.stringify(text)}: host bits must be zero` };
  return { ok: true, value: { network, prefix, size } };
}

export function cidrContains(cidr: Ipv4Cidr, ip: number): boolean {
  return ip >= cidr.network && ip < cidr.network + cidr.size;
}
