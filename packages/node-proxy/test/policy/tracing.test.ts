import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { httpBackend, Resources, startProxy } from '../support.js';
import { httpCall, metricValue } from './policy-fixtures.js';

let resources: Resources;

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An OTLP/HTTP receiver on 127.0.0.1 port 0 collecting the spans of every POST. */
async function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  let notify: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      notify?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  const waitFor = (count: number, timeoutMs = 5_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${spans.length} spans arrived`)), timeoutMs);
      const check = () => {
        if (spans.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      };
      notify = check;
      check();
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, waitFor };
}

const attribute = (span: OtlpSpan | undefined, key: string) =>
  span?.attributes.find((a) => a.key === key)?.value;

describe('tracing', () => {
  it('continues the caller trace, sends a new traceparent upstream and exports the span over OTLP', async () => {
    const receiver = await otlpReceiver();
    const backend = await httpBackend(resources, 'orders');
    const proxy = await startProxy(resources, { tracing: { endpoint: receiver.url, flushIntervalMs: 50 } });
    await proxy.applyInputs(
      topologyInputs({
        services: [meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }])],
        endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const answer = await httpCall(proxy.boundPort('http', 5000) ?? 0, {
      headers: { traceparent: `00-${traceId}-${parent}-01` },
    });
    expect(answer.status).toBe(200);
    const upstreamTraceparent = (JSON.parse(answer.body) as { headers: Record<string, string> }).headers
      .traceparent;
    await receiver.waitFor(1);
    const span = receiver.spans[0];
    expect(span?.traceId).toBe(traceId);
    expect(span?.parentSpanId).toBe(parent);
    expect(upstreamTraceparent).toBe(`00-${traceId}-${span?.spanId}-01`);
    expect(attribute(span, 'nodemesh.destination.service')).toEqual({ stringValue: 'orders' });
    expect(attribute(span, 'nodemesh.policy.outcome')).toEqual({ stringValue: 'forwarded' });
    expect(attribute(span, 'http.response.status_code')).toEqual({ intValue: '200' });
    expect(attribute(span, 'nodemesh.retries')).toEqual({ intValue: '0' });

    // No traceparent: a new trace, with no parent.
    await httpCall(proxy.boundPort('http', 5000) ?? 0);
    await receiver.waitFor(2);
    expect(receiver.spans[1]?.parentSpanId).toBeUndefined();
    expect(receiver.spans[1]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(receiver.spans[1]?.traceId).not.toBe(traceId);
    // The exporter counts a batch when the receiver's answer arrives, just after the spans did.
    let exported = 0;
    for (let i = 0; i < 50 && exported < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const text = await proxy.metrics.registry.metrics();
      exported = metricValue(text, 'nodemesh_trace_spans_total', { result: 'exported' });
    }
    expect(exported).toBe(2);
  });

  it('unsampled: the caller traceparent passes through unchanged, and none is made up without one', async () => {
    const receiver = await otlpReceiver();
    const backend = await httpBackend(resources, 'orders');
    const proxy = await startProxy(resources, {
      tracing: { endpoint: receiver.url, flushIntervalMs: 50, sampleRatio: 0 },
    });
    await proxy.applyInputs(
      topologyInputs({
        services: [meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }])],
        endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    const port = proxy.boundPort('http', 5000) ?? 0;
    const upstream = async (headers: Record<string, string>) =>
      (JSON.parse((await httpCall(port, { headers })).body) as { headers: Record<string, string> }).headers
        .traceparent;
    const notSampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    expect(await upstream({ traceparent: notSampled })).toBe(notSampled);
    expect(await upstream({})).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.spans).toEqual([]);
  });

  it('off: the caller traceparent passes through unchanged', async () => {
    const backend = await httpBackend(resources, 'orders');
    const proxy = await startProxy(resources);
    await proxy.applyInputs(
      topologyInputs({
        services: [meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }])],
        endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const answer = await httpCall(proxy.boundPort('http', 5000) ?? 0, { headers: { traceparent } });
    expect((JSON.parse(answer.body) as { headers: Record<string, string> }).headers.traceparent).toBe(
      traceparent,
    );
  });
});
