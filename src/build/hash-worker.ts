// Worker thread of the hash pool (hash-pool.ts): hashes one store layer per message.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { isUserError } from '../errors.ts';
import { storeLayerDigest, type StoreLayerOptions } from '../tar/store-layer.ts';
import { DIGEST_OFFSET, DONE, SIZE_OFFSET } from './verify-protocol.ts';

/** A request: hash the store layer of `paths`. */
export interface HashRequest {
  readonly id: number;
  readonly kind?: 'hash';
  readonly paths: readonly string[];
  readonly options: StoreLayerOptions;
}

/** Messages of the verifying protocol (verify-hasher.ts): start a layer, hash a chunk, finish. */
export type VerifyMessage =
  | { readonly id: number; readonly kind: 'verify-start'; readonly control: SharedArrayBuffer }
  | { readonly id: number; readonly kind: 'verify-ring'; readonly ring: SharedArrayBuffer; readonly words: SharedArrayBuffer; readonly slotBytes: number }
  | { readonly id: number; readonly kind: 'verify-chunk'; readonly slot: number; readonly length: number; readonly sequence: number }
  | { readonly id: number; readonly kind: 'verify-end' };

/** The answer: the identity, or the error (a UserError keeps its code for the main thread). */
export type HashResponse =
  | { readonly id: number; readonly digest: string; readonly size: number }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string; readonly stack?: string } };

const port = parentPort;
if (port === null) throw new Error('hash-worker.ts runs only as a worker thread (see hash-pool.ts)');
// Layers being verified, by id: one at a time in practice.
const verifying = new Map<number, { hash: Hash; size: number; control: SharedArrayBuffer; words: Int32Array }>();

// The ring of slots chunks are copied into, and the word where the last hashed sequence goes.
let ring: { bytes: SharedArrayBuffer; words: Int32Array; slotBytes: number } | undefined;

function verify(message: VerifyMessage): void {
  if (message.kind === 'verify-ring') {
    ring = { bytes: message.ring, words: new Int32Array(message.words), slotBytes: message.slotBytes };
    return;
  }
  if (message.kind === 'verify-start') {
    verifying.set(message.id, { hash: createHash('sha256'), size: 0, control: message.control, words: new Int32Array(message.control, 0, 2) });
    return;
  }
  if (message.kind === 'verify-chunk') {
    const state = verifying.get(message.id);
    // Hashed (or, for an abandoned layer, skipped) in order, then the slot is free again.
    state?.hash.update(new Uint8Array(ring!.bytes, message.slot * ring!.slotBytes, message.length));
    if (state !== undefined) state.size += message.length;
    Atomics.store(ring!.words, 0, message.sequence);
    Atomics.notify(ring!.words, 0);
    return;
  }
  const state = verifying.get(message.id);
  if (state === undefined) return;
  verifying.delete(message.id);
  state.hash.digest().copy(Buffer.from(state.control, DIGEST_OFFSET, 32));
  new Float64Array(state.control, SIZE_OFFSET, 1)[0] = state.size;
  Atomics.store(state.words, DONE, 1);
  Atomics.notify(state.words, DONE);
}

port.on('message', (request: HashRequest | VerifyMessage) => {
  if (request.kind !== undefined && request.kind !== 'hash') {
    verify(request as VerifyMessage);
    return;
  }
  let response: HashResponse;
  try {
    const { digest, size } = storeLayerDigest(request.paths, request.options);
    response = { id: request.id, digest, size };
  } catch (error) {
    const failure = error as Error;
    response = {
      id: request.id,
      error: isUserError(error)
        ? { message: failure.message, code: error.code }
        : { message: failure.message ?? String(error), ...(failure.stack === undefined ? {} : { stack: failure.stack }) },
    };
  }
  port.postMessage(response);
});
