// A store layer as a Layer value: the tar of some store paths (format.md §4), produced on demand.
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { digestOf, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import type { Layer } from '../image/types.ts';
import { storeLayerStream, type StoreLayerOptions } from '../tar/store-layer.ts';

/** Options of a store-paths layer: the tar options, plus a digest known from an earlier run. */
export interface StorePathsLayerOptions extends StoreLayerOptions {
  /**
   * Digest and size remembered from a previous build (a digest cache). They are trusted for
   * headers and manifests and verified while `open()` streams, so a stale entry fails loudly.
   */
  readonly known?: { readonly digest: Digest; readonly size: number };
}

/** The uncompressed store layer of `paths`, in list order; its identity costs one hashing pass, at most once. */
export function storePathsLayer(paths: readonly string[], options: StorePathsLayerOptions): Layer {
  const { known, ...tarOptions } = options;
  const list = [...paths];
  let identity: Promise<{ digest: Digest; size: number }> | undefined = known
    ? Promise.resolve({ digest: known.digest, size: known.size })
    : undefined;
  const measure = (): Promise<{ digest: Digest; size: number }> => {
    identity ??= digestOf(storeLayerStream(list, tarOptions));
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
    open: () => (identity ? verified(storeLayerStream(list, tarOptions), identity, list, known !== undefined) : storeLayerStream(list, tarOptions)),
  };
}

/** Passes the bytes through and fails at the end, naming the layer, when they are not what `expectation` says. */
function verified(
  source: Readable,
  expectation: Promise<{ digest: Digest; size: number }>,
  paths: readonly string[],
  fromCache: boolean,
): Readable {
  const hash = createHash('sha256');
  let size = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = `sha256:${hash.digest('hex')}`;
      expectation.then((expected) => {
        if (actual === expected.digest && size === expected.size) {
          callback();
          return;
        }
        const fix = fromCache
          ? 'the digest cache is stale or the store changed: clear the cache and rebuild'
          : 'the store paths changed between hashing and streaming: make sure nothing modifies them and rebuild';
        callback(new UserError(
          'layer-digest-mismatch',
          `store layer of ${paths.join(', ')} hashes to ${actual} (${size} bytes) but ${expected.digest} (${expected.size} bytes) was expected; ${fix}`,
        ));
      }, (error: unknown) => callback(error as Error));
    },
  });
  source.on('error', (error) => check.destroy(error));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}
