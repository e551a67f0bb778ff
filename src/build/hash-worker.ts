// Worker thread of the hash pool (hash-pool.ts): hashes one store layer per message.
import { parentPort } from 'node:worker_threads';
import { isUserError } from '../errors.ts';
import { storeLayerDigest, type StoreLayerOptions } from '../tar/store-layer.ts';

/** A request: hash the store layer of `paths`. */
export interface HashRequest {
  readonly id: number;
  readonly paths: readonly string[];
  readonly options: StoreLayerOptions;
}

/** The answer: the identity, or the error (a UserError keeps its code for the main thread). */
export type HashResponse =
  | { readonly id: number; readonly digest: string; readonly size: number }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string; readonly stack?: string } };

const port = parentPort;
if (port === null) throw new Error('hash-worker.ts runs only as a worker thread (see hash-pool.ts)');
port.on('message', (request: HashRequest) => {
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
