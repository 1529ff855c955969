export declare const CONVERGENCE: {
  readonly namespace: string;
  readonly meshNamespace: string;
  readonly node: string;
  readonly splitRoot: string;
  readonly splitName: string;
  readonly readinessService: string;
  readonly flippedPod: string;
};
export type Json = Record<string, unknown>;
export interface DelaySummary {
  readonly count: number;
  readonly timedOut: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}
export interface StreakTracker {
  observe(answer: string, atMs: number): number | undefined;
}
export declare function serviceManifest(
  name: string,
  selector: Record<string, string>,
  targetPort: number | string,
): Json;
export declare function podManifest(
  name: string,
  labels: Record<string, string>,
  port: number,
  ready?: boolean,
): Json;
export declare function podReadyPatch(ready: boolean): Json;
export declare function splitBackends(to: 'v1' | 'v2'): { service: string; weight: number }[];
export declare function splitManifest(to: 'v1' | 'v2'): Json;
export declare function splitPatch(to: 'v1' | 'v2'): Json;
export declare function flipTarget(i: number): 'v1' | 'v2';
export declare function pauseBefore(i: number): number;
export declare function createStreakTracker(expected: string, needed: number): StreakTracker;
export declare function summarizeDelays(delaysMs: readonly number[], timedOut?: number): DelaySummary;
