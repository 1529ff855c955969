import { describe, expect, it } from 'vitest';
import { type BodySink, UpstreamBody } from './upstream-body.js';

function recorder(capacity = Number.POSITIVE_INFINITY) {
  const seen: string[] = [];
  const sink: BodySink = {
    write: (chunk) => {
      seen.push(chunk.toString());
      return seen.length < capacity;
    },
    end: () => seen.push('<end>'),
    fail: (err) => seen.push(`<fail ${err.message}>`),
  };
  return { seen, sink };
}

function body() {
  const calls = { resumed: 0, aborted: 0 };
  const upstream = new UpstreamBody(
    () => calls.resumed++,
    () => calls.aborted++,
  );
  return { upstream, calls };
}

describe('UpstreamBody', () => {
  it('holds a small body that comes before its consumer without pausing the upstream, in order', () => {
    const { upstream, calls } = body();
    expect(upstream.push(Buffer.from('a'))).toBe(true);
    expect(upstream.push(Buffer.from('b'))).toBe(true);
    const { seen, sink } = recorder();
    upstream.pipeTo(sink);
    expect(seen).toEqual(['a', 'b']);
    expect(calls.resumed).toBe(0);
    expect(upstream.push(Buffer.from('c'))).toBe(true);
    upstream.complete();
    expect(seen).toEqual(['a', 'b', 'c', '<end>']);
  });

  it('pauses the upstream once more than 64 KiB waits for the consumer, and resumes it when it attaches', () => {
    const { upstream, calls } = body();
    expect(upstream.push(Buffer.alloc(60 * 1024, 0x61))).toBe(true);
    expect(upstream.push(Buffer.alloc(8 * 1024, 0x62))).toBe(false);
    const { seen, sink } = recorder();
    upstream.pipeTo(sink);
    expect(seen.map((chunk) => chunk.length)).toEqual([60 * 1024, 8 * 1024]);
    expect(calls.resumed).toBe(1);
  });

  it('a body that ended before its consumer came is delivered whole, and nothing is aborted', () => {
    const { upstream, calls } = body();
    upstream.push(Buffer.from('all'));
    upstream.complete();
    const { seen, sink } = recorder();
    upstream.pipeTo(sink);
    upstream.destroy();
    expect(seen).toEqual(['all', '<end>']);
    expect(calls).toEqual({ resumed: 0, aborted: 0 });
  });

  it('a full sink pauses the upstream until it resumes', () => {
    const { upstream, calls } = body();
    const { seen, sink } = recorder(1);
    upstream.pipeTo(sink);
    expect(upstream.push(Buffer.from('x'))).toBe(false);
    expect(calls.resumed).toBe(0);
    upstream.resume();
    upstream.resume();
    expect(calls.resumed).toBe(1);
    expect(seen).toEqual(['x']);
  });

  it('a consumer that goes away aborts the upstream once; a failure reaches the consumer', () => {
    const { upstream, calls } = body();
    const { seen, sink } = recorder();
    upstream.pipeTo(sink);
    upstream.destroy();
    upstream.destroy();
    expect(calls.aborted).toBe(1);
    const other = body().upstream;
    const second = recorder();
    other.pipeTo(second.sink);
    other.fail(new Error('reset'));
    expect(second.seen).toEqual(['<fail reset>']);
    expect(seen).toEqual([]);
  });

  it('as a Readable, for consumers that pipe', async () => {
    const { upstream } = body();
    upstream.push(Buffer.from('he'));
    const readable = upstream.stream();
    upstream.push(Buffer.from('llo'));
    upstream.complete();
    const chunks: Buffer[] = [];
    for await (const chunk of readable) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
  });
});
