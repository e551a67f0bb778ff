// Worker thread of verify-hasher.ts: hashes the chunks of the layers being streamed.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { DIGEST_OFFSET, DONE, SIZE_OFFSET } from './verify-protocol.ts';

/** Messages of the protocol (verify-hasher.ts): the ring, start a layer, hash a chunk, finish. */
export type VerifyMessage =
  | { readonly id: number; readonly kind: 'verify-start'; readonly control: SharedArrayBuffer }
  | { readonly id: number; readonly kind: 'verify-ring'; readonly ring: SharedArrayBuffer; readonly words: SharedArrayBuffer; readonly slotBytes: number }
  | { readonly id: number; readonly kind: 'verify-chunk'; readonly slot: number; readonly length: number; readonly sequence: number }
  | { readonly id: number; readonly kind: 'verify-end' };

const port = parentPort;
if (port === null) throw new Error('hash-worker.ts runs only as a worker thread (see verify-hasher.ts)');
// Layers being hashed, by id: one at a time in practice.
const hashing = new Map<number, { hash: Hash; size: number; control: SharedArrayBuffer; words: Int32Array }>();

// The ring of slots chunks are copied into, and the word where the last hashed sequence goes.
let ring: { bytes: SharedArrayBuffer; words: Int32Array; slotBytes: number } | undefined;

port.on('message', (message: VerifyMessage) => {
  if (message.kind === 'verify-ring') {
    ring = { bytes: message.ring, words: new Int32Array(message.words), slotBytes: message.slotBytes };
    return;
  }
  if (message.kind === 'verify-start') {
    hashing.set(message.id, { hash: createHash('sha256'), size: 0, control: message.control, words: new Int32Array(message.control, 0, 2) });
    return;
  }
  if (message.kind === 'verify-chunk') {
    const state = hashing.get(message.id);
    // Hashed (or, for an abandoned layer, skipped) in order, then the slot is free again.
    state?.hash.update(new Uint8Array(ring!.bytes, message.slot * ring!.slotBytes, message.length));
    if (state !== undefined) state.size += message.length;
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
