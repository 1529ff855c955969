export declare const WRK: string;
export declare function parseWrk(text: string): { rps: number; requests: number; errors: number };
export declare function parsePaced(text: string): {
  requests: number;
  errors: number;
  late: number;
  paced: number;
  latency: {
    p50: number;
    p90: number;
    p99: number;
    p999: number;
    max: number;
    curve: { p: number; ms: number }[];
  };
};
export declare function wrkMax(
  ctx: unknown,
  options: unknown,
): Promise<{ rps: number; requests: number; errors: number }>;
export declare function wrkPaced(ctx: unknown, options: unknown): Promise<ReturnType<typeof parsePaced>>;
