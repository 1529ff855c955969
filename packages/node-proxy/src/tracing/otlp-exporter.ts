/**
 * A small OTLP/HTTP JSON span exporter: spans wait in a bounded queue (new ones are dropped when it is full,
 * and counted), a timer sends them in batches of at most `maxBatch` to `<endpoint>` with one POST at a time.
 * Requests never wait on it. Written here rather than taken from @opentelemetry/* because the proxy needs
 * one span shape and one transport, and the SDK's exporter and processors bring a dependency tree and
 * per-span objects larger than the whole of this.
 */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AttributeValue, FinishedSpan } from './span.js';

export interface OtlpExporterOptions {
  /** Full URL of the collector's traces endpoint, e.g. `http://otel-collector:4318/v1/traces`. */
  readonly endpoint: string;
  readonly serviceName: string;
  /** Extra resource attributes (node name, for instance). */
  readonly resource?: Readonly<Record<string, string>>;
  readonly maxQueue: number;
  readonly maxBatch: number;
  readonly flushIntervalMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_OTLP_OPTIONS = {
  serviceName: 'nodemesh-proxy',
  maxQueue: 2048,
  maxBatch: 512,
  flushIntervalMs: 1_000,
  requestTimeoutMs: 5_000,
} as const;

export interface ExportStats {
  exported: number;
  dropped: number;
  failedBatches: number;
}

export class OtlpExporter {
  readonly #options: OtlpExporterOptions;
  readonly #url: URL;
  #queue: FinishedSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  readonly stats: ExportStats = { exported: 0, dropped: 0, failedBatches: 0 };
  readonly #onStats: (stats: ExportStats) => void;

  constructor(options: OtlpExporterOptions, onStats: (stats: ExportStats) => void = () => undefined) {
    this.#options = options;
    this.#url = new URL(options.endpoint);
    this.#onStats = onStats;
  }

  /** Queues a span; never blocks, never throws. */
  export(span: FinishedSpan): void {
    if (this.#queue.length >= this.#options.maxQueue) {
      this.stats.dropped++;
      this.#onStats(this.stats);
      return;
    }
    this.#queue.push(span);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Sends everything queued now, batch after batch. */
  async flush(): Promise<void> {
    while (this.#sending !== undefined) await this.#sending;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      this.#sending = this.#post(batch);
      await this.#sending;
      this.#sending = undefined;
    }
  }

  /** Flushes what is queued and stops the timer. */
  async shutdown(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #post(batch: FinishedSpan[]): Promise<void> {
    const body = JSON.stringify(otlpJson(batch, this.#options));
    const ok = await new Promise<boolean>((resolve) => {
      const send = this.#url.protocol === 'https:' ? httpsRequest : request;
      const req = send(
        this.#url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: this.#options.requestTimeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
          res.on('error', () => resolve(false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('OTLP export timed out')));
      req.on('error', () => resolve(false));
      req.end(body);
    });
    if (ok) this.stats.exported += batch.length;
    else {
      this.stats.failedBatches++;
      this.stats.dropped += batch.length;
    }
    this.#onStats(this.stats);
  }
}

/** ExportTraceServiceRequest in OTLP/JSON: ids as hex, 64-bit times as strings, SERVER spans. */
export function otlpJson(
  spans: readonly FinishedSpan[],
  options: Pick<OtlpExporterOptions, 'serviceName' | 'resource'>,
) {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: attributes({ 'service.name': options.serviceName, ...options.resource }),
        },
        scopeSpans: [
          {
            scope: { name: '@nodemesh/node-proxy' },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
              name: span.name,
              kind: 2,
              startTimeUnixNano: span.startTimeUnixNano,
              endTimeUnixNano: span.endTimeUnixNano,
              attributes: attributes(span.attributes),
              status: { code: span.error ? 2 : 1 },
            })),
          },
        ],
      },
    ],
  };
}

function attributes(values: Readonly<Record<string, AttributeValue>>) {
  return Object.entries(values).map(([key, value]) => ({
    key,
    value:
      typeof value === 'string'
        ? { stringValue: value }
        : typeof value === 'boolean'
          ? { boolValue: value }
          : Number.isInteger(value)
            ? { intValue: String(value) }
            : { doubleValue: value },
  }));
}
