/**
 * Joins an accepted tunnel stream and the TCP connection to its pod: bytes flow both ways through `pipe` (a
 * slow side pauses the other through HTTP/2 flow control or TCP), an end on one side is passed on as an end
 * on the other (END_STREAM ↔ FIN), and an error on either side ends both: a failed pod connection resets the
 * stream with CONNECT_ERROR (RFC 9113 §8.5), a reset stream destroys the pod connection.
 */
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';

export interface SpliceCounts {
  /** Bytes the caller sent through to the pod. */
  bytesToPod: number;
  /** Bytes the pod sent back. */
  bytesFromPod: number;
}

/** `onClosed` runs once, when both sides are gone. */
export function splice(
  stream: ServerHttp2Stream,
  pod: Socket,
  counts: SpliceCounts,
  onClosed: () => void,
): void {
  stream.on('data', (chunk: Buffer) => {
    counts.bytesToPod += chunk.length;
  });
  pod.on('data', (chunk: Buffer) => {
    counts.bytesFromPod += chunk.length;
  });
  stream.pipe(pod);
  pod.pipe(stream);

  let open = 2;
  const closedOne = () => {
    open -= 1;
    if (open === 0) onClosed();
  };
  pod.on('error', () => {
    // Reset or refused by the pod: the caller must not take a short answer for a whole one.
    if (!stream.closed) stream.close(constants.NGHTTP2_CONNECT_ERROR);
  });
  pod.once('close', (hadError: boolean) => {
    if (hadError && !stream.closed) stream.close(constants.NGHTTP2_CONNECT_ERROR);
    closedOne();
  });
  stream.on('error', () => pod.destroy());
  stream.once('close', () => {
    // Both ends finished cleanly: the pod's socket closes by itself once its FINs are through; anything
    // else (a reset, the session gone) cuts the pod connection now.
    if (stream.rstCode !== constants.NGHTTP2_NO_ERROR || !pod.writableEnded) pod.destroy();
    closedOne();
  });
}
