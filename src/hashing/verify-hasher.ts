// Hashes streamed store layers on another thread: the stream thread reads the store and writes
// the archive, a worker hashes the same chunks (copied into a shared ring, or, piped, where they
// already are: the pipe ring of pipe-ring.ts) for the layer's digest, or to check it against one
// announced. Each thread then does about half of the work.
//
// The protocol is synchronous on the stream side (the tar producer is a synchronous
// generator): chunks are posted with a sequence number, the worker publishes the last number
// it hashed in shared memory, and the final digest is read from shared memory after a wait.
import type { Worker } from 'node:worker_threads';
import { parseDigest } from '../digest/digest.ts';
import type { StoreLayerIdentity } from '../sources/store-paths.ts';
import type { ChunkHasher, ChunkVerifier } from '../sources/store-paths.ts';
import type { PipeRing } from './pipe-ring.ts';
import { startWorker, WORKER_OPTIONS } from './worker-thread.ts';
import { CONTROL_BYTES, DIGEST_OFFSET, DONE, SIZE_OFFSET } from './verify-protocol.ts';

// Slots of the copy ring (chunks the worker may be behind by) and their size: 4 MiB in all.
const RING_SLOTS = 16;
const SLOT_BYTES = 256 * 1024;
// How long the stream thread waits for the worker before giving up (it never should).
const STALL_MS = 120_000;

/** One worker that hashes the layers being streamed, one layer at a time (and writes a stdout pipe, pipe-output.ts). */
export class VerifyHasher implements ChunkVerifier {
  private worker: Worker | undefined;
  private nextId = 0;
  // Chunks are copied into this ring of shared slots for the worker to hash: the chunks
  // themselves stay ordinary buffers the sink may keep (a compressor's queue), and the shared
  // memory is a fixed 4 MiB however many chunks pass. Made when first needed: chunks already in
  // the pipe ring are hashed where they are.
  private ring: SharedArrayBuffer | undefined;
  private readonly ringWords = new Int32Array(new SharedArrayBuffer(4));
  private posted = 0;

  /** `pipeRing`: the piped stream's shared slots (pipe-ring.ts), whose chunks the worker hashes without a copy. */
  constructor(readonly pipeRing?: PipeRing) {}

  // Layers started and not yet finished, and a pipe being written: the worker keeps the
  // process alive only while there are some.
  private pending = 0;

  /** The worker, started if need be and kept alive until `release()` (pipe-output.ts writes through it too). */
  acquire(): Worker {
    const worker = this.worker ?? this.spawn();
    if (this.pending++ === 0) worker.ref();
    return worker;
  }

  /** Lets go of what `acquire()` held. */
  release(): void {
    if (--this.pending === 0) this.worker?.unref();
  }

  /** Starts hashing one layer. */
  start(): ChunkHasher {
    const worker = this.acquire();
    const id = this.nextId++;
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const words = new Int32Array(control, 0, 2);
    worker.postMessage({ id, kind: 'verify-start', control });
    const update = (chunk: Buffer): void => {
      const place = this.pipeRing?.locate(chunk);
      if (place !== undefined) {
        // Hashed from the slot before the worker writes and frees it (messages arrive in order).
        worker.postMessage({ id, kind: 'verify-shared', offset: place.offset, length: chunk.length });
        return;
      }
      const ring = this.copyRing(worker);
      for (let from = 0; from < chunk.length; from += SLOT_BYTES) {
        const piece = chunk.subarray(from, Math.min(chunk.length, from + SLOT_BYTES));
        // A slot is free once the worker has hashed what was last put there.
        waitUntil(this.ringWords, 0, () => this.posted - Atomics.load(this.ringWords, 0) < RING_SLOTS);
        const slot = this.posted % RING_SLOTS;
        new Uint8Array(ring, slot * SLOT_BYTES, piece.length).set(piece);
        this.posted += 1;
        worker.postMessage({ id, kind: 'verify-chunk', slot, length: piece.length, sequence: this.posted });
      }
    };
    const result = (): StoreLayerIdentity => {
      this.release();
      const digest = Buffer.from(control, DIGEST_OFFSET, 32).toString('hex');
      const size = new Float64Array(control, SIZE_OFFSET, 1)[0]!;
      return { digest: parseDigest(`sha256:${digest}`, 'hashing thread'), size };
    };
    return {
      update,
      digest(): StoreLayerIdentity {
        worker.postMessage({ id, kind: 'verify-end' });
        waitUntil(words, DONE, () => Atomics.load(words, DONE) === 1);
        return result();
      },
      // The stream goes on with the next layer meanwhile: waiting here would drain the ring
      // at every layer's end, leaving one thread idle while the other catches up.
      async digestLater(): Promise<StoreLayerIdentity> {
        worker.postMessage({ id, kind: 'verify-end' });
        while (Atomics.load(words, DONE) !== 1) {
          const waited = Atomics.waitAsync(words, DONE, 0, STALL_MS);
          if (waited.async && (await waited.value) === 'timed-out') throw new Error('the hashing thread stopped responding');
        }
        return result();
      },
    };
  }

  private spawn(): Worker {
    this.worker = startWorker(WORKER_OPTIONS);
    this.ring = undefined;
    return this.worker;
  }

  private copyRing(worker: Worker): SharedArrayBuffer {
    if (this.ring !== undefined) return this.ring;
    this.ring = new SharedArrayBuffer(RING_SLOTS * SLOT_BYTES);
    worker.postMessage({ id: -1, kind: 'verify-ring', ring: this.ring, words: this.ringWords.buffer, slotBytes: SLOT_BYTES });
    return this.ring;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    // Ref'd again, so the process waits for the exit instead of quitting with this promise unsettled.
    worker?.ref();
    await worker?.terminate();
  }
}

// Blocks this thread until `done()`, waking whenever `words[index]` changes (the worker notifies).
function waitUntil(words: Int32Array, index: number, done: () => boolean): void {
  const started = Date.now();
  while (!done()) {
    const seen = Atomics.load(words, index);
    if (done()) return;
    if (Atomics.wait(words, index, seen, 1000) === 'timed-out' && Date.now() - started > STALL_MS) {
      throw new Error('the hashing thread verifying the stream stopped responding');
    }
  }
}
