// Adapts a synchronous generator of byte chunks to a Node Readable.
import { Readable } from 'node:stream';

/**
 * A byte stream over a synchronous chunk generator. Each `_read` produces one chunk, so the
 * event loop runs between chunks and back-pressure is respected; destroying the stream closes
 * the generator (and with it any open file).
 */
export class GeneratorReadable extends Readable {
  constructor(private readonly chunks: Generator<Buffer>) {
    super({ highWaterMark: 1 });
  }

  override _read(): void {
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
