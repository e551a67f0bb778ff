// A store layer as a Layer value: the tar of some store paths (format.md §4), produced on demand.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import type { Layer } from '../image/types.ts';
import { GeneratorReadable } from '../tar/generator-readable.ts';
import { ChunkPool } from '../tar/chunks.ts';
import { storeLayerChunks, storeLayerDigest, storeLayerStream, type StoreLayerOptions } from '../tar/store-layer.ts';

/** Digest and size of a store layer. */
export interface StoreLayerIdentity {
  readonly digest: Digest;
  readonly size: number;
}

/** Computes a store layer's identity, e.g. on a worker thread (src/build/hash-pool.ts). */
export type StoreLayerHasher = (paths: readonly string[], options: StoreLayerOptions) => Promise<StoreLayerIdentity>;

/** Hashes one layer's chunks on another thread (src/build/verify-hasher.ts). */
export interface ChunkHasher {
  /** Takes a chunk to hash (copied: the chunk may be reused as soon as this returns). */
  update(chunk: Buffer): void;
  /** Waits for the last chunk and returns the identity of them all. */
  digest(): StoreLayerIdentity;
}

/** Starts a ChunkHasher per layer. */
export interface ChunkVerifier {
  start(): ChunkHasher;
}

/** Options of a store-paths layer: the tar options, plus a digest known from an earlier run. */
export interface StorePathsLayerOptions extends StoreLayerOptions {
  /**
   * Digest and size remembered from a previous build (a digest cache). They are trusted for
   * headers and manifests and verified while `open()` streams, so a stale entry fails loudly.
   */
  readonly known?: StoreLayerIdentity;
  /** How the hashing pass runs when no digest is known; default: on this thread. */
  readonly hasher?: StoreLayerHasher;
  /** Where `open()` verifies the bytes against the announced digest; default: on this thread. */
  readonly verifier?: ChunkVerifier;
}

/** The uncompressed store layer of `paths`, in list order; its identity costs one hashing pass, at most once. */
export function storePathsLayer(paths: readonly string[], options: StorePathsLayerOptions): Layer {
  const { known, hasher, verifier, ...tarOptions } = options;
  const list = [...paths];
  // The identity once it is settled, so open() can verify synchronously as it streams.
  let settled: StoreLayerIdentity | undefined = known;
  let identity: Promise<StoreLayerIdentity> | undefined = known ? Promise.resolve(known) : undefined;
  const measure = (): Promise<StoreLayerIdentity> => {
    identity ??= (hasher ? hasher(list, tarOptions) : Promise.resolve().then(() => storeLayerDigest(list, tarOptions))).then((value) => {
      settled = value;
      return value;
    });
    return identity;
  };
  return {
    compression: 'none',
    kind: 'store',
    origin: list,
    diffId: async () => (await measure()).digest,
    digest: async () => (await measure()).digest,
    size: async () => (await measure()).size,
    // Whatever a sink already announced (a known digest, or the one measured by the hashing pass)
    // is checked against the bytes it streams: format.md §4.4 requires both passes to agree.
    open: (): Readable => {
      if (identity === undefined) return storeLayerStream(list, tarOptions);
      if (settled !== undefined) {
        // Chunks the sink hands back (recycleChunk) are refilled instead of allocated anew.
        const pool = new ChunkPool();
        // Hashed by another thread as they stream when a verifier is given, else on this one.
        const hasher = verifier?.start() ?? mainThreadChunkHasher();
        return new GeneratorReadable(verifiedChunks(storeLayerChunks(list, tarOptions, false, pool), hasher, settled, list, known !== undefined), pool);
      }
      // Opened while the hashing pass still runs (sinks normally ask for the size first): wait for it.
      const pending = identity;
      return Readable.from((async function* () {
        yield* verifiedChunks(storeLayerChunks(list, tarOptions), mainThreadChunkHasher(), await pending, list, false);
      })());
    },
  };
}

/**
 * Passes the chunks through, handing each to `hasher`, and fails at the end, naming the layer,
 * when they are not what `expected` says. Hashing inside the generator: no extra stream stage.
 */
function* verifiedChunks(
  chunks: Generator<Buffer>,
  hasher: ChunkHasher,
  expected: StoreLayerIdentity,
  paths: readonly string[],
  fromCache: boolean,
): Generator<Buffer> {
  for (const chunk of chunks) {
    hasher.update(chunk);
    yield chunk;
  }
  const failure = mismatch(hasher.digest(), expected, paths, fromCache);
  if (failure !== undefined) throw failure;
}

// A ChunkHasher on this thread: each chunk is hashed before update returns.
function mainThreadChunkHasher(): ChunkHasher {
  const hash = createHash('sha256');
  let size = 0;
  return {
    update(chunk) {
      hash.update(chunk);
      size += chunk.length;
    },
    digest: () => ({ digest: `sha256:${hash.digest('hex')}` as Digest, size }),
  };
}

// The error for bytes whose identity is not the announced one, naming the layer; undefined when they agree.
function mismatch(actual: StoreLayerIdentity, expected: StoreLayerIdentity, paths: readonly string[], fromCache: boolean): UserError | undefined {
  if (actual.digest === expected.digest && actual.size === expected.size) return undefined;
  const fix = fromCache
    ? 'the digest cache is stale or the store changed: clear the cache and rebuild'
    : 'the store paths changed between hashing and streaming: make sure nothing modifies them and rebuild';
  return new UserError(
    'layer-digest-mismatch',
    `store layer of ${paths.join(', ')} hashes to ${actual.digest} (${actual.size} bytes) but ${expected.digest} (${expected.size} bytes) was expected; ${fix}`,
  );
}
