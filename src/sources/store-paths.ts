// A store layer as a Layer value: the tar of some store paths (format.md §4), produced on demand.
// Its size comes from lstat before any byte streams; its digest is computed while open() streams
// it (the image config, which needs it, is written after the layers), so the store is read once.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import type { Layer } from '../image/types.ts';
import { GeneratorReadable } from '../tar/generator-readable.ts';
import { ChunkPool, type ChunkSupply } from '../tar/chunks.ts';
import { storeLayerChunks, storeLayerDigest, storeLayerPlan, type StoreLayerOptions, type StoreLayerPlan } from '../tar/store-layer.ts';

/** Digest and size of a store layer. */
export interface StoreLayerIdentity {
  readonly digest: Digest;
  readonly size: number;
}

/** Hashes one layer's chunks on another thread (src/hashing/verify-hasher.ts). */
export interface ChunkHasher {
  /** Takes a chunk to hash (copied: the chunk may be reused as soon as this returns). */
  update(chunk: Buffer): void;
  /** Waits for the last chunk and returns the identity of them all. */
  digest(): StoreLayerIdentity;
  /** The same without blocking this thread: resolves once the last chunk is hashed. */
  digestLater(): Promise<StoreLayerIdentity>;
}

/** Starts a ChunkHasher per layer. */
export interface ChunkVerifier {
  /** `size`: the layer's tar bytes, when known before it streams (a hint for sharing the work). */
  start(size?: number): ChunkHasher;
}

/** Options of a store-paths layer: the tar options, plus a digest known beforehand. */
export interface StorePathsLayerOptions extends StoreLayerOptions {
  /**
   * Digest and size known before streaming (e.g. a test vector's). They are trusted for headers
   * and manifests and verified while `open()` streams, so a wrong one fails loudly.
   */
  readonly known?: StoreLayerIdentity;
  /** Where `open()` hashes the bytes it streams; default: on this thread. */
  readonly verifier?: ChunkVerifier;
  /** Sizes the layer elsewhere (src/hashing/plan-thread.ts), asked at once; default: on this thread when `size()` is first called. */
  readonly planner?: (paths: readonly string[], options: StoreLayerOptions) => Promise<StoreLayerPlan>;
  /** What a mismatch names the layer as (default: "store layer of <paths>"). */
  readonly label?: string;
  /** Where the streamed chunks live (the piped stream's shared slots); default a pool of the stream's own. */
  readonly chunks?: ChunkSupply;
}

/**
 * The uncompressed store layer of `paths`, in list order. `size()` walks the trees' metadata
 * (recording it for the stream); the digest is settled by the first complete `open()` stream
 * (once its last chunk is hashed), and later streams are checked against it. Asked for before
 * any stream, the digest costs a separate hashing pass.
 */
export function storePathsLayer(paths: readonly string[], options: StorePathsLayerOptions): Layer {
  const { known, verifier, planner, label, chunks, ...tarOptions } = options;
  const name = label ?? `store layer of ${paths.join(', ')}`;
  const list = [...paths];
  let settled: StoreLayerIdentity | undefined = known;
  // What the first complete stream's hashing gives, while it may still be hashing.
  let streamed: Promise<StoreLayerIdentity> | undefined;
  let plan: StoreLayerPlan | undefined;
  // Asked for now, so the planner walks this layer while the layers before it stream.
  const planned = known === undefined ? planner?.(list, tarOptions) : undefined;
  // Failures surface through size(); never an unhandled rejection when nobody asks.
  planned?.catch(() => undefined);
  const size = async (): Promise<number> => settled?.size ?? (plan ??= planned === undefined ? storeLayerPlan(list, tarOptions) : await planned).size;
  const identity = async (): Promise<StoreLayerIdentity> => settled ?? (await streamed) ?? (settled = storeLayerDigest(list, tarOptions));
  const finished = (later: Promise<StoreLayerIdentity>): void => {
    const first = streamed;
    // A second stream finishing while the first is still being hashed is checked against it.
    streamed = (first === undefined ? later : Promise.all([first, later]).then(([a, b]) => {
      if (a.digest !== b.digest) throw mismatch(`hashes to ${b.digest} (${b.size} bytes)`, { identity: a, size: a.size }, name);
      return a;
    })).then((value) => (settled = value));
    // Reported through diffId(); never an unhandled rejection when nobody asks.
    streamed.catch(() => undefined);
  };
  return {
    compression: 'none',
    kind: 'store',
    origin: list,
    ...(known === undefined ? { identityFromStream: true } : {}),
    diffId: async () => (await identity()).digest,
    digest: async () => (await identity()).digest,
    size,
    open: (): Readable => {
      // Chunks the sink hands back (recycleChunk) are refilled instead of allocated anew.
      const pool = chunks ?? new ChunkPool();
      // Hashed by another thread as they stream when a verifier is given, else on this one.
      const hasher = verifier?.start(settled?.size ?? plan?.size) ?? mainThreadChunkHasher();
      const expected = { identity: settled, size: settled?.size ?? plan?.size };
      // The recorded walk serves one stream: held no longer than that (a later one walks again).
      const walk = plan?.walk;
      if (plan !== undefined) plan = { size: plan.size, walk: undefined };
      return new GeneratorReadable(hashedChunks(storeLayerChunks(list, tarOptions, false, pool, walk), hasher, expected, name, finished), pool);
    },
  };
}

/**
 * Passes the chunks through, handing each to `hasher`. Fails, naming the layer, as soon as they
 * outgrow the announced size, and at the end when their size is not the announced one or their
 * digest not the one already known; without a known digest, hands the one being computed to
 * `done`. Hashing inside the generator: no extra stream stage.
 */
function* hashedChunks(
  chunks: Generator<Buffer>,
  hasher: ChunkHasher,
  expected: { identity: StoreLayerIdentity | undefined; size: number | undefined },
  layer: string,
  done: (identity: Promise<StoreLayerIdentity>) => void,
): Generator<Buffer> {
  let streamed = 0;
  for (const chunk of chunks) {
    streamed += chunk.length;
    if (expected.size !== undefined && streamed > expected.size) throw mismatch(`gives more than ${expected.size} bytes`, expected, layer);
    hasher.update(chunk);
    yield chunk;
  }
  if (expected.identity !== undefined) {
    const actual = hasher.digest();
    if (actual.digest !== expected.identity.digest) throw mismatch(`hashes to ${actual.digest} (${actual.size} bytes)`, expected, layer);
    return;
  }
  if (expected.size !== undefined && streamed !== expected.size) throw mismatch(`gives ${streamed} bytes`, expected, layer);
  done(hasher.digestLater());
}

/** A ChunkHasher on this thread: each chunk is hashed before update returns. */
export function mainThreadChunkHasher(): ChunkHasher {
  const hash = createHash('sha256');
  let size = 0;
  return {
    update(chunk) {
      hash.update(chunk);
      size += chunk.length;
    },
    digest: () => ({ digest: `sha256:${hash.digest('hex')}` as Digest, size }),
    digestLater: async () => ({ digest: `sha256:${hash.digest('hex')}` as Digest, size }),
  };
}

// The bytes are not what was announced: a known digest, or the size from the walk that wrote the
// layer's tar header (then the tree changed while it was streamed).
function mismatch(actual: string, expected: { identity: StoreLayerIdentity | undefined; size: number | undefined }, layer: string): UserError {
  const fix = 'make sure nothing modifies the store paths and stream again';
  if (expected.identity !== undefined) {
    const { digest, size } = expected.identity;
    return new UserError('layer-digest-mismatch', `${layer} ${actual} but ${digest} (${size} bytes) was expected; ${fix}`);
  }
  return new UserError('layer-size-mismatch', `${layer} changed while streamed: it ${actual} but its tar header announced ${expected.size} bytes; ${fix}`);
}
