import { cidrContains, formatIpv4, type Ipv4Cidr, parseIpv4 } from './cidr.js';

export type ReserveResult = 'ok' | 'taken' | 'out-of-range' | 'invalid';

/**
 * Hands out Service ClusterIPs from a block. The network address, the first address (kept for the
 * `kubernetes` Service by convention) and the broadcast address are never given out. Allocation is
 * sequential from a moving cursor, so a freed IP is not reused at once.
 */
export class ClusterIpAllocator {
  private readonly taken = new Set<number>();
  private cursor: number;

  constructor(readonly cidr: Ipv4Cidr) {
    this.cursor = cidr.network + 2;
  }

  get capacity(): number {
    return this.cidr.size - 3;
  }

  /** Reserves a specific IP asked for by the user. */
  reserve(ip: string): ReserveResult {
    const value = parseIpv4(ip);
    if (value === undefined) return 'invalid';
    if (!cidrContains(this.cidr, value) || !this.usable(value)) return 'out-of-range';
    if (this.taken.has(value)) return 'taken';
    this.taken.add(value);
    return 'ok';
  }

  /** The next free IP, or undefined when the block is full. */
  allocate(): string | undefined {
    for (let i = 0; i < this.cidr.size; i++) {
      const candidate = this.cidr.network + ((this.cursor - this.cidr.network + i) % this.cidr.size);
      if (!this.usable(candidate) || this.taken.has(candidate)) continue;
      this.taken.add(candidate);
      this.cursor = candidate + 1;
      return formatIpv4(candidate);
    }
    return undefined;
  }

  release(ip: string): void {
    const value = parseIpv4(ip);
    if (value !== undefined) this.taken.delete(value);
  }

  isTaken(ip: string): boolean {
    const value = parseIpv4(ip);
    return value !== undefined && this.taken.has(value);
  }

  private usable(value: number): boolean {
    const offset = value - this.cidr.network;
    return offset >= 2 && offset < this.cidr.size - 1;
  }
}
