// Adapts a synchronous generator of byte chunks to a Node Readable.
import { Readable } from 'node:stream';
import type { ChunkSupply } from './chunks.ts';

/**
 * A byte stream over a synchronous chunk generator. Each `_read` produces one chunk, so the
 * event loop runs between chunks and back-pressure is respected; destroying the stream closes
 * the generator (and with it any open file).
 */
export class GeneratorReadable extends Readable {
  constructor(private readonly chunks: Generator<Buffer>, private readonly pool?: ChunkSupply) {
    // Chunks in shared slots (a supply that can make the stream wait) must reach the writer as
    // they are: a byte stream may merge buffered chunks into a new buffer, leaving the slots behind.
    super(pool?.whenReady === undefined ? { highWaterMark: 1 } : { objectMode: true, highWaterMark: 1 });
  }

  /**
   * Hands a chunk this stream emitted back for reuse. Only for a consumer that no longer holds
   * it anywhere (e.g. its synchronous write to a file or pipe has completed): the bytes will be
   * overwritten.
   */
  recycle(chunk: Buffer): void {
    this.pool?.give(chunk);
  }

  override _read(): void {
    // Shared slots all taken (the pipe is behind): wait for the writer, not blocking the event loop.
    const waiting = this.pool?.whenReady?.();
    if (waiting === undefined) this.pull();
    else waiting.then(() => this.destroyed || this.pull(), (error: unknown) => this.destroy(error as Error));
  }

  private pull(): void {
    try {
      const next = this.chunks.next();
      this.push(next.done ? null : next.value);
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.chunks.return(undefined);
    } catch (closeError) {
      callback(error ?? (closeError as Error));
      return;
    }
    callback(error);
  }
}

/** Hands `chunk` back to the stream it came from, when that stream reuses chunks. */
export function recycleChunk(source: Readable, chunk: Buffer): void {
  if (source instanceof GeneratorReadable) source.recycle(chunk);
}
