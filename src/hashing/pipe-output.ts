// The archive to a stdout pipe (`stream | docker load`), written by another thread. Node writes
// a pipe from the main thread's event loop, so while that thread reads the store the pipe sits
// idle, and while it waits for the pipe to drain nothing is read: the two alternate. A worker
// blocking in write() instead lets reading and writing overlap: the hashing worker, which sees
// the layer bytes anyway (verify-hasher.ts), writes the pipe between its hashing. The store
// layers' chunks are read straight into the shared slots it writes from (pipe-ring.ts), and
// the pipe is widened to 1 MiB first where it can be (pipe-capacity.ts).
import { Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { Output } from '../sinks/output.ts';
import { widenStdoutPipe } from './pipe-capacity.ts';
import type { PipeAnswer, PipeMessage } from './pipe-protocol.ts';
import { PIPE_SLOT_BYTES, PipeRing } from './pipe-ring.ts';
import { VerifyHasher } from './verify-hasher.ts';

// How long a write may block this thread for a free slot before waiting asynchronously.
const BLOCKING_WAIT_MS = 50;

/** Bytes per write() into a pipe of the default 64 KiB (hash-worker.ts says why). */
export const NARROW_PIPE_WRITE_BYTES = 16 * 1024;

/**
 * A Writable whose bytes a worker writes to stdout. A chunk in the thread's pipe ring (a store
 * layer's, pipe-ring.ts) is handed over as it is; any other is copied into free slots, and its
 * write completes once copied.
 */
export class PipeWriter extends Writable {
  private readonly ring: PipeRing;
  private readonly worker: Worker;
  private ended: (() => void) | undefined;
  private held = true;
  private readonly onAnswer = (answer: PipeAnswer): void => {
    if (answer.kind === 'pipe-ended') this.ended?.();
    // EPIPE when the reader went away: the archive writer turns it into its one-line message.
    else this.destroy(Object.assign(new Error(answer.message), { code: answer.code }));
  };
  private readonly onError = (error: Error): void => {
    this.destroy(error);
  };

  /**
   * Writes through the worker of `thread`, which outlives this stream (its owner closes it), in
   * write()s of `writeBytes`: whole slots once the pipe is wide, else NARROW_PIPE_WRITE_BYTES.
   */
  constructor(private readonly thread: VerifyHasher, writeBytes = NARROW_PIPE_WRITE_BYTES) {
    super({ highWaterMark: 1 << 20 });
    this.ring = thread.pipeRing ?? new PipeRing();
    this.worker = thread.acquire();
    this.worker.on('message', this.onAnswer);
    this.worker.on('error', this.onError);
    this.post({ kind: 'pipe-ring', ring: this.ring.bytes, words: this.ring.words.buffer as SharedArrayBuffer, writeBytes });
  }

  /** Writes complete once their bytes are in the ring: the caller may reuse the chunk then. */
  readonly copiesWrites = true;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const place = this.ring.locate(chunk);
    if (place !== undefined) {
      // Already in a slot taken for it: the worker writes it from there and frees the slot.
      this.post({ kind: 'pipe-chunk', slot: place.slot, offset: place.offset, length: chunk.length });
      callback();
      return;
    }
    // Copied, synchronously while the ring has room, so a chunk is free again as soon as write()
    // returns. When the ring is full, this thread, which has nothing else to do, waits a little
    // for the writer; only longer (a slow reader) does it wait asynchronously, so signals and
    // errors are still seen.
    let at = this.fill(chunk, 0);
    const until = performance.now() + BLOCKING_WAIT_MS;
    while (at < chunk.length && !this.destroyed) {
      const left = until - performance.now();
      if (left <= 0) break;
      this.ring.waitBriefly(left);
      at = this.fill(chunk, at);
    }
    if (at === chunk.length) callback();
    else this.finishCopy(chunk, at).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ended = () => {
      this.letGo();
      callback();
    };
    this.post({ kind: 'pipe-end' });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Nothing is written any more: a layer stream waiting for a slot must run on into the error.
    this.ring.abandon();
    this.letGo();
    callback(error);
  }

  private letGo(): void {
    if (!this.held) return;
    this.held = false;
    this.worker.off('message', this.onAnswer);
    this.worker.off('error', this.onError);
    this.thread.release();
  }

  // Copies pieces of `chunk` from `from` into free slots; returns where it stopped (the ring is full).
  private fill(chunk: Buffer, from: number): number {
    let at = from;
    while (at < chunk.length) {
      const slot = this.ring.takeSlot();
      if (slot === undefined) break;
      const piece = chunk.subarray(at, Math.min(chunk.length, at + PIPE_SLOT_BYTES));
      const copy = this.ring.view(slot, piece.length);
      copy.set(piece);
      this.post({ kind: 'pipe-chunk', slot, offset: copy.byteOffset, length: piece.length });
      at += piece.length;
    }
    return at;
  }

  // The rest of `chunk`, each time the writer frees a slot.
  private async finishCopy(chunk: Buffer, from: number): Promise<void> {
    let at = from;
    while (at < chunk.length && !this.destroyed) {
      await this.ring.waitForFree();
      at = this.fill(chunk, at);
    }
  }

  private post(message: PipeMessage): void {
    this.worker.postMessage(message);
  }
}

/**
 * stdout through a PipeWriter, as an Output of sinks/output.ts, written by `thread`'s worker
 * (one of its own when the stream has none: a single core, where it still frees the stream
 * thread from waiting on the pipe). `widen` makes the pipe wide first (pipe-capacity.ts).
 */
export function openPipeOutput(thread?: VerifyHasher, widen: () => boolean = widenStdoutPipe): Output {
  const owner = thread ?? new VerifyHasher();
  const stream = new PipeWriter(owner, widen() ? PIPE_SLOT_BYTES : NARROW_PIPE_WRITE_BYTES);
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  finished.catch(() => undefined);
  const stop = async (): Promise<void> => {
    if (thread === undefined) await owner.close();
  };
  return {
    stream,
    async finish() {
      await finished;
      await stop();
    },
    async abort() {
      stream.destroy();
      await stop();
    },
  };
}
