/**
 * Spans for proxied requests. A `Tracer` exists only when tracing is configured; the listeners hold
 * `undefined` otherwise, so an untraced proxy makes no span objects at all. Sampling follows the caller's
 * sampled flag when it sent a valid traceparent, else `sampleRatio`. Only a sampled request gets a span, and
 * with it new ids (a fresh trace id when the caller sent none, and our span id) and a traceparent naming our
 * span upstream. An unsampled request gets nothing: no ids are drawn, and the caller's own traceparent, if
 * any, passes upstream unchanged like any other header.
 */
import type { OtlpExporter } from './otlp-exporter.js';
import type { AttributeValue } from './span.js';
import { formatTraceParent, newSpanId, newTraceId, parseTraceParent } from './trace-context.js';

export interface TracingOptions {
  /** OTLP/HTTP JSON traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint: string;
  /** Share of new traces (no sampled parent) recorded, 0..1 (default 1). */
  readonly sampleRatio?: number;
}

/** The span of a sampled request; `end` exports it (once). */
export interface ActiveSpan {
  /** The traceparent to send upstream. */
  readonly traceparent: string;
  set(key: string, value: AttributeValue): void;
  end(error: boolean): void;
}

export class Tracer {
  readonly #exporter: OtlpExporter;
  readonly #ratio: number;
  readonly #random: () => number;

  constructor(exporter: OtlpExporter, sampleRatio = 1, random: () => number = Math.random) {
    this.#exporter = exporter;
    this.#ratio = Math.min(1, Math.max(0, sampleRatio));
    this.#random = random;
  }

  /**
   * Starts the span of one proxied request, continuing the caller's trace if it sent one; undefined when the
   * request is not sampled.
   */
  start(name: string, traceparentHeader: string | string[] | undefined): ActiveSpan | undefined {
    const parent = traceparentHeader === undefined ? undefined : parseTraceParent(traceparentHeader);
    const sampled = parent !== undefined ? parent.sampled : this.#random() < this.#ratio;
    if (!sampled) return undefined;
    const traceId = parent?.traceId ?? newTraceId();
    const spanId = newSpanId();
    const start = nowNanos();
    const attributes: Record<string, AttributeValue> = {};
    let ended = false;
    return {
      traceparent: formatTraceParent(traceId, spanId, true),
      set: (key, value) => {
        attributes[key] = value;
      },
      end: (error) => {
        if (ended) return;
        ended = true;
        this.#exporter.export({
          traceId,
          spanId,
          parentSpanId: parent?.spanId,
          name,
          startTimeUnixNano: start,
          endTimeUnixNano: nowNanos(),
          attributes,
          error,
        });
      },
    };
  }

  shutdown(): Promise<void> {
    return this.#exporter.shutdown();
  }
}

/** Wall-clock epoch nanoseconds as a decimal string, with sub-millisecond precision. */
function nowNanos(): string {
  const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  return ns.toString();
}
