// Digests of store layers for the conf: looked up in the digest cache, hashed when missing.
// Misses are hashed concurrently on worker threads (NIX_BUILD_CORES of them); results keep
// the order of the keys whatever order the hashing finishes in.
import type { DigestCache, LayerDigest, LayerKey } from '../cache/digest-cache.ts';
import type { Logger } from '../log.ts';
import type { StoreLayerHasher } from '../sources/store-paths.ts';
// The tar writer and the worker pool are loaded only when something is hashed: a conf that
// finds every layer in the cache should not pay for loading them.

/**
 * Misses whose store paths add up to at most this many NAR bytes are hashed on the main thread:
 * starting hash workers costs ~35 ms, about what sha256 takes for 50 MiB, and an incremental
 * rebuild (one small path changed) usually misses only a few small layers.
 */
export const INLINE_HASH_BYTES = 16 * 1024 * 1024;

export interface HashLayersOptions {
  cache: DigestCache;
  log: Logger;
  /** Hashing threads; default NIX_BUILD_CORES (0 or unset: all available cores). */
  threads?: number;
  /**
   * NAR size of each key's store paths, parallel to the keys (0: unknown). When every miss has
   * a known size and together they stay within INLINE_HASH_BYTES, no worker is started.
   */
  narSizes?: readonly number[];
}

/** One digest per key, in order; cache misses are hashed and remembered. */
export async function hashStoreLayers(keys: readonly LayerKey[], options: HashLayersOptions): Promise<LayerDigest[]> {
  const cached = await Promise.all(keys.map((key) => options.cache.get(key)));
  const misses = cached.flatMap((entry, index) => (entry === undefined ? [index] : []));
  if (misses.length === 0) {
    options.log.info(`store layers: ${keys.length}, hashed 0, from cache ${keys.length}`);
    return cached as LayerDigest[];
  }
  const sizes = misses.map((index) => options.narSizes?.[index] ?? 0);
  const small = sizes.every((size) => size > 0) && sizes.reduce((sum, size) => sum + size, 0) <= INLINE_HASH_BYTES;
  const pool = small ? undefined : await startPool(options.threads, misses.length);
  const hasher = pool?.hasher ?? await mainThreadHasher();
  let done = 0;
  try {
    const hashed = await Promise.all(misses.map(async (index) => {
      const key = keys[index]!;
      const digest = await hasher(key.paths.map((p) => p.path), { ...key.owner, mtime: key.mtime });
      done += 1;
      options.log.progress(`hashed layer ${index + 1} of ${keys.length} (${done} of ${misses.length} to hash)`);
      await options.cache.put(key, digest);
      return [index, digest] as const;
    }));
    for (const [index, digest] of hashed) cached[index] = digest;
  } finally {
    await pool?.close();
  }
  const where = pool === undefined ? 'on the main thread (small)' : `on ${pool.size} threads`;
  options.log.info(`store layers: ${keys.length}, hashed ${misses.length} ${where}, from cache ${keys.length - misses.length}`);
  return cached as LayerDigest[];
}

async function startPool(threads: number | undefined, jobs: number) {
  const { buildCores, HashPool } = await import('./hash-pool.ts');
  return new HashPool(Math.min(threads ?? buildCores(), jobs));
}

async function mainThreadHasher(): Promise<StoreLayerHasher> {
  const { storeLayerDigest } = await import('../tar/store-layer.ts');
  return async (paths, options) => storeLayerDigest(paths, options);
}
