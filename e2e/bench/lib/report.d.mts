export interface TargetResult {
  readonly name: string;
  readonly limit: string;
  readonly value: string;
  readonly met: boolean | undefined;
  readonly gap: string;
}
export declare function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string;
export declare function num(v: number, digits?: number): string;
export declare function med(
  summary: { median: number; min: number; max: number; runs: number } | undefined,
  digits?: number,
): string;
export declare function httpCpuTable(http: unknown, rates: readonly number[]): string;
export declare function convergenceTable(convergence: unknown): string;
export declare function coresTable(cores: unknown): string;
export declare function memoryTable(memory: unknown): string;
export declare function mtlsTable(mtls: unknown): string;
export declare function generatorNote(http: unknown, rates: readonly number[]): string;
export declare function evaluateTargets(results: unknown): TargetResult[];
export declare function renderReport(results: unknown, options?: { chartPrefix?: string }): string;
export declare function renderSummary(results: unknown): string;
export declare function replaceLatest(text: string, content: string): string;
