export interface CurvePoint {
  readonly p: number;
  readonly ms: number;
}
export interface LatencyProfile {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly curve: CurvePoint[];
}
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly spread: number;
  readonly runs: number;
}
export declare const CURVE_PERCENTILES: number[];
export declare function percentile(sorted: ArrayLike<number>, p: number): number;
export declare function sortedCopy(values: ArrayLike<number> | Iterable<number>): Float64Array;
export declare function latencyProfile(samplesMs: ArrayLike<number> | Iterable<number>): LatencyProfile;
export declare function summarize(values: readonly number[]): Summary;
export declare function medianCurve(curves: readonly (readonly CurvePoint[])[]): CurvePoint[];
export declare function ratio(a: number, b: number): number;
