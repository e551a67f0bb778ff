// Verifies streamed store layers on another thread: the stream thread reads the store and writes
// the archive, a worker hashes the same chunks (shared memory, never copied) to check them
// against the digest already announced. Each thread then does about half of the work.
//
// The protocol is synchronous on the stream side (the tar producer is a synchronous
// generator): chunks are posted with a sequence number, the worker publishes the last number
// it hashed in shared memory, and the final digest is read from shared memory after a wait.
import type { Worker } from 'node:worker_threads';
import { parseDigest } from '../digest/digest.ts';
import type { StoreLayerIdentity } from '../sources/store-paths.ts';
import type { ChunkHasher, ChunkVerifier } from '../sources/store-paths.ts';
import { ChunkPool } from '../tar/chunks.ts';
import { startWorker, WORKER_OPTIONS } from './hash-pool.ts';
import { CONTROL_BYTES, DIGEST_OFFSET, DONE, HASHED, SIZE_OFFSET } from './verify-protocol.ts';

// Chunks posted but not yet hashed before the stream thread waits: bounds shared memory.
const MAX_BEHIND = 32;
// How long the stream thread waits for the worker before giving up (it never should).
const STALL_MS = 120_000;

/** One worker that hashes the layers being streamed, one layer at a time. */
export class VerifyHasher implements ChunkVerifier {
  private worker: Worker | undefined;
  private nextId = 0;
  // For each chunk handed to the worker: its layer's control words and its sequence number there.
  private readonly posted = new WeakMap<ArrayBufferLike, { words: Int32Array; sequence: number }>();

  /** Shared-memory chunks for all layers, refilled once the worker has hashed them (and the sink is done). */
  readonly pool = new ChunkPool(MAX_BEHIND + 8, { shared: true, free: (chunk) => this.hashed(chunk) });

  private hashed(chunk: Buffer): boolean {
    const entry = this.posted.get(chunk.buffer);
    return entry === undefined || Atomics.load(entry.words, HASHED) >= entry.sequence;
  }

  /** Starts hashing one layer. */
  start(): ChunkHasher {
    const worker = this.worker ?? startWorker(WORKER_OPTIONS);
    this.worker = worker;
    worker.ref();
    const id = this.nextId++;
    const registry = this.posted;
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const words = new Int32Array(control, 0, 2);
    let posted = 0;
    worker.postMessage({ id, kind: 'verify-start', control });
    const waitUntil = (done: () => boolean, slot: number): void => {
      const started = Date.now();
      while (!done()) {
        const seen = Atomics.load(words, slot);
        if (done()) return;
        if (Atomics.wait(words, slot, seen, 1000) === 'timed-out' && Date.now() - started > STALL_MS) {
          throw new Error('the hashing thread verifying the stream stopped responding');
        }
      }
    };
    return {
      update(chunk: Buffer) {
        if (chunk.byteOffset !== 0) throw new Error('VerifyHasher: chunks must start at offset 0 of their buffer');
        posted += 1;
        registry.set(chunk.buffer, { words, sequence: posted });
        worker.postMessage({ id, kind: 'verify-chunk', chunk: chunk.buffer, length: chunk.length, sequence: posted });
        waitUntil(() => posted - Atomics.load(words, HASHED) <= MAX_BEHIND, HASHED);
      },
      digest(): StoreLayerIdentity {
        worker.postMessage({ id, kind: 'verify-end' });
        waitUntil(() => Atomics.load(words, DONE) === 1, DONE);
        worker.unref();
        const digest = Buffer.from(control, DIGEST_OFFSET, 32).toString('hex');
        const size = new Float64Array(control, SIZE_OFFSET, 1)[0]!;
        return { digest: parseDigest(`sha256:${digest}`, 'verifying thread'), size };
      },
    };
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
