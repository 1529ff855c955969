/**
 * Spans for proxied requests. A `Tracer` exists only when tracing is configured; the listeners hold
 * `undefined` otherwise, so an untraced proxy makes no span objects at all. Sampling follows the caller's
 * sampled flag when it sent a traceparent, else `sampleRatio`; an unsampled request still gets a fresh
 * traceparent upstream (same trace, our span id, flag 00) so the trace stays whole past us.
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

/** A span in progress; `end` exports it (once) when sampled. */
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

  /** Starts the span of one proxied request, continuing the caller's trace if it sent one. */
  start(name: string, traceparentHeader: string | string[] | undefined): ActiveSpan {
    const parent = parseTraceParent(traceparentHeader);
    const traceId = parent?.traceId ?? newTraceId();
    const spanId = newSpanId();
    const sampled = parent !== undefined ? parent.sampled : this.#random() < this.#ratio;
    const traceparent = formatTraceParent(traceId, spanId, sampled);
    if (!sampled) return { traceparent, set: () => undefined, end: () => undefined };
    const start = nowNanos();
    const attributes: Record<string, AttributeValue> = {};
    let ended = false;
    return {
      traceparent,
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
