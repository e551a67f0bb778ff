// Digests of store layers for the conf: looked up in the digest cache, hashed when missing.
import type { DigestCache, LayerDigest, LayerKey } from '../cache/digest-cache.ts';
import type { Logger } from '../log.ts';
import { storePathsLayer } from '../sources/store-paths.ts';

export interface HashLayersOptions {
  cache: DigestCache;
  log: Logger;
}

/** One digest per key, in order; cache misses are hashed and remembered. */
export async function hashStoreLayers(keys: readonly LayerKey[], options: HashLayersOptions): Promise<LayerDigest[]> {
  const results: LayerDigest[] = [];
  let hashed = 0;
  for (const [index, key] of keys.entries()) {
    const cached = await options.cache.get(key);
    if (cached) {
      results.push(cached);
      continue;
    }
    options.log.progress(`hashing layer ${index + 1} of ${keys.length}`);
    const layer = storePathsLayer(key.paths.map((p) => p.path), { ...key.owner, mtime: key.mtime });
    const digest = { digest: await layer.diffId(), size: await layer.size() };
    await options.cache.put(key, digest);
    results.push(digest);
    hashed += 1;
  }
  options.log.info(`store layers: ${keys.length}, hashed ${hashed}, from cache ${keys.length - hashed}`);
  return results;
}
