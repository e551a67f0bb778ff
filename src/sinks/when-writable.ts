// Backpressure for writers that handle a destination's failure themselves: wait until the
// stream takes more, or until it can take nothing more (failed, closed), whichever comes first.
import type { Writable } from 'node:stream';

/** Resolves when `stream` drains, fails or closes (the caller checks which). */
export function whenWritable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
