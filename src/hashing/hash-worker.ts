// Worker thread of verify-hasher.ts: hashes the chunks of the layers being streamed, and, for
// pipe-output.ts, writes the archive to stdout when that is a pipe. One thread for both: on two
// cores the stream thread reads while this one hashes and writes, and one thread less is
// one heap less.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { FREED, slotWord, type PipeAnswer, type PipeMessage } from './pipe-protocol.ts';
import { DIGEST_OFFSET, DONE, SIZE_OFFSET } from './verify-protocol.ts';

/** Messages of the protocol (verify-hasher.ts): the ring, start a layer, hash a chunk, finish. */
export type VerifyMessage =
  | { readonly id: number; readonly kind: 'verify-start'; readonly control: SharedArrayBuffer }
  | { readonly id: number; readonly kind: 'verify-ring'; readonly ring: SharedArrayBuffer; readonly words: SharedArrayBuffer; readonly slotBytes: number }
  | { readonly id: number; readonly kind: 'verify-chunk'; readonly slot: number; readonly length: number; readonly sequence: number }
  /** A chunk in the pipe ring (pipe-ring.ts): hashed there, left for the pipe-chunk that frees it. */
  | { readonly id: number; readonly kind: 'verify-shared'; readonly offset: number; readonly length: number }
  | { readonly id: number; readonly kind: 'verify-end' };

const port = parentPort;
if (port === null) throw new Error('hash-worker.ts runs only as a worker thread (see verify-hasher.ts)');
// Layers being hashed, by id: one at a time in practice.
const hashing = new Map<number, { hash: Hash; size: number; control: SharedArrayBuffer; words: Int32Array }>();

// The ring of slots chunks are copied into, and the word where the last hashed sequence goes.
let ring: { bytes: SharedArrayBuffer; words: Int32Array; slotBytes: number } | undefined;

// The pipe: opened again through /proc, a descriptor of our own, blocking whatever the main
// thread's stdout handle did to fd 1's flags (libuv makes it non-blocking). It is written in
// pieces of `writeBytes` (pipe-output.ts chooses): 16 KiB into a 64 KiB pipe, where a write
// that fills it makes writer and reader take turns (1.2 GB from memory into `| wc -c` took
// 1.5–1.8 s in 64 KiB writes, 0.5–0.9 s in 16 KiB ones), and a whole slot into a 1 MiB pipe.
let pipe: { fd: number; bytes: SharedArrayBuffer; words: Int32Array; writeBytes: number; failed: boolean } | undefined;

function writePipe(message: PipeMessage): void {
  if (message.kind === 'pipe-ring') {
    const fd = openSync('/proc/self/fd/1', constants.O_WRONLY);
    pipe = { fd, bytes: message.ring, words: new Int32Array(message.words), writeBytes: message.writeBytes, failed: false };
    return;
  }
  const state = pipe!;
  if (message.kind === 'pipe-end') {
    closeSync(state.fd);
    pipe = undefined;
    port!.postMessage({ kind: 'pipe-ended' } satisfies PipeAnswer);
    return;
  }
  if (!state.failed) {
    const view = new Uint8Array(state.bytes, message.offset, message.length);
    try {
      for (let done = 0; done < view.length;) done += writeSync(state.fd, view, done, Math.min(state.writeBytes, view.length - done));
    } catch (error) {
      // EPIPE when the reader went away: reported once; later chunks are only acknowledged.
      state.failed = true;
      const { code, message: text } = error as NodeJS.ErrnoException;
      port!.postMessage({ kind: 'pipe-error', code, message: text } satisfies PipeAnswer);
    }
  }
  // The slot is free again (also after a failure: the stream thread must not wait forever).
  Atomics.store(state.words, slotWord(message.slot), 0);
  Atomics.add(state.words, FREED, 1);
  Atomics.notify(state.words, FREED);
}

// Adds a chunk to its layer's hash; a chunk of a layer no longer hashed is skipped.
function hashChunk(id: number, bytes: Uint8Array): void {
  const state = hashing.get(id);
  if (state === undefined) return;
  state.hash.update(bytes);
  state.size += bytes.length;
}

port.on('message', (received: VerifyMessage | PipeMessage) => {
  if (received.kind === 'pipe-ring' || received.kind === 'pipe-chunk' || received.kind === 'pipe-end') {
    writePipe(received);
    return;
  }
  const message = received;
  if (message.kind === 'verify-ring') {
    ring = { bytes: message.ring, words: new Int32Array(message.words), slotBytes: message.slotBytes };
    return;
  }
  if (message.kind === 'verify-start') {
    hashing.set(message.id, { hash: createHash('sha256'), size: 0, control: message.control, words: new Int32Array(message.control, 0, 2) });
    return;
  }
  if (message.kind === 'verify-shared') {
    hashChunk(message.id, new Uint8Array(pipe!.bytes, message.offset, message.length));
    return;
  }
  if (message.kind === 'verify-chunk') {
    // Hashed (or, for an abandoned layer, skipped) in order, then the slot is free again.
    hashChunk(message.id, new Uint8Array(ring!.bytes, message.slot * ring!.slotBytes, message.length));
    Atomics.store(ring!.words, 0, message.sequence);
    Atomics.notify(ring!.words, 0);
    return;
  }
  const state = hashing.get(message.id);
  if (state === undefined) return;
  hashing.delete(message.id);
  state.hash.digest().copy(Buffer.from(state.control, DIGEST_OFFSET, 32));
  new Float64Array(state.control, SIZE_OFFSET, 1)[0] = state.size;
  Atomics.store(state.words, DONE, 1);
  Atomics.notify(state.words, DONE);
});
