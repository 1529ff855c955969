import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { RawHeaders, ResponseSink, UpstreamControl } from '../listeners/forward.js';
import type { Endpoint } from '../snapshot/snapshot.js';
import { type AttemptTools, type ResilientSink, resilientForward } from './resilient-forward.js';

const endpoint = (key: string) => ({ key, address: '10.0.0.1', port: 80 }) as unknown as Endpoint;

/** An upstream that answers each attempt with the next status in `statuses`, body `body-<n>`. */
function upstream(statuses: number[]) {
  const events: string[] = [];
  let attempt = 0;
  const tools: AttemptTools = {
    firstEndpoint: endpoint('first'),
    pick: () => {
      events.push('pick');
      return endpoint(`retry-${attempt}`);
    },
    release: (e) => events.push(`release ${e.key}`),
    dispatcher: (e) => ({ key: e.key }) as unknown as Dispatcher,
    send: (_dispatcher, _options, sink: ResponseSink) => {
      const n = ++attempt;
      const status = statuses[n - 1] ?? 200;
      let aborted = false;
      const control: UpstreamControl = {
        resume: () => {},
        abort: () => {
          aborted = true;
          events.push(`abort ${n}`);
        },
      };
      sink.head(status, ['content-type', 'text/plain'], control);
      if (aborted) return;
      sink.data(Buffer.from(`body-${n}`));
      sink.end(null);
    },
    onRetry: (outcome) => events.push(`retry ${outcome}`),
  };
  return { tools, events };
}

function caller() {
  const seen: string[] = [];
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const sink: ResilientSink = {
    attempts: (count) => seen.push(`attempts ${count}`),
    head: (status: number, _raw: RawHeaders) => seen.push(`head ${status}`),
    data: (chunk: Buffer) => seen.push(chunk.toString()) > 0,
    end: () => {
      seen.push('end');
      finish();
    },
    fail: (err: Error) => {
      seen.push(`fail ${err.message}`);
      finish();
    },
  };
  return { seen, sink, done };
}

const request = {
  method: 'GET',
  path: '/',
  headers: {},
  body: { kind: 'none' as const },
  retry: { attempts: 2, perTryTimeoutMs: 1000 },
  timeoutMs: undefined,
  breaker: undefined,
  budget: undefined,
};

describe('resilientForward', () => {
  it('drops a retried 503 with its body and passes the next response on whole, releasing what a retry picked', async () => {
    const { tools, events } = upstream([503, 200]);
    const { seen, sink, done } = caller();
    resilientForward(request, tools, sink);
    await done;
    expect(seen).toEqual(['attempts 2', 'head 200', 'body-2', 'end']);
    expect(events).toEqual(['retry attempted', 'abort 1', 'pick', 'release retry-1']);
  });

  it('passes the last 5xx on when no attempt is left', async () => {
    const { tools } = upstream([503, 503, 503]);
    const { seen, sink, done } = caller();
    resilientForward(request, tools, sink);
    await done;
    expect(seen).toEqual(['attempts 3', 'head 503', 'body-3', 'end']);
  });

  it('does not repeat a POST that got a 503', async () => {
    const { tools } = upstream([503, 200]);
    const { seen, sink, done } = caller();
    resilientForward({ ...request, method: 'POST' }, tools, sink);
    await done;
    expect(seen).toEqual(['attempts 1', 'head 503', 'body-1', 'end']);
  });
});
