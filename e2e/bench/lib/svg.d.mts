import type { CurvePoint } from './stats.mjs';
export interface ChartSeries {
  readonly name: string;
  readonly curve: readonly CurvePoint[];
}
export declare function ninesOf(p: number): number;
export declare function niceCeiling(v: number): number;
export declare function escapeXml(text: string): string;
export declare function renderLatencyChart(chart: {
  title: string;
  subtitle?: string;
  series: readonly ChartSeries[];
}): string;
