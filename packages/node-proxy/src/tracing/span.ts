/** One finished proxy span, in the shape the OTLP exporter writes. */

export type AttributeValue = string | number | boolean;

export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** Epoch nanoseconds, as decimal strings (OTLP/JSON writes 64-bit integers as strings). */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly error: boolean;
}
