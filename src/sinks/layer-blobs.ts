// A layer's blob in the compression a sink stores or uploads: the layer's own bytes (or its
// stored blob, stored-blob.ts) when they already are in it, else its tar compressed
// reproducibly (src/compression). Shared by the OCI
// layout and registry sinks.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import { compressBlob, type BlobCompression, type CompressedBlob } from '../compression/compress.ts';
import { buildCores } from '../build-cores.ts';
import { decompressed } from '../image/decompress.ts';
import type { Layer } from '../image/types.ts';
import { checkedStoredBlob, layerName, storedAs, type StoredBlob } from './stored-blob.ts';

/**
 * `layer` as stored at `path` once its blob (`blob`, read to its end) is written there: the same
 * diff_id and origin, the blob's compression, digest and size. A manifest derived from an image
 * of these (image/manifest.ts) names the blobs as written.
 */
export function storedLayer(layer: Layer, compression: BlobCompression, blob: { digest: Digest; size: number }, path: string): Layer {
  return {
    compression,
    ...(layer.kind === undefined ? {} : { kind: layer.kind }),
    origin: layer.origin,
    ...(layer.contentKey === undefined ? {} : { contentKey: layer.contentKey }),
    diffId: () => layer.diffId(),
    digest: async () => blob.digest,
    size: async () => blob.size,
    open: () => createReadStream(path),
  };
}

/**
 * `layer`'s blob compressed as `compression`; threads default to the build's cores (never
 * changing the bytes). A stored blob of that compression is copied, checked against its record.
 */
export async function layerBlob(layer: Layer, compression: BlobCompression, threads = buildCores()): Promise<CompressedBlob> {
  const stored = storedAs(layer, compression);
  if (stored !== undefined) return copiedBlob(layer, stored);
  if (layer.compression === compression) return compressBlob(layer.open(), 'none', 1);
  const tar: Readable = layer.compression === 'none' ? layer.open() : await decompressed(layer.open(), `layer ${layer.origin.join(', ')}`);
  return compressBlob(tar, compression, threads);
}

// The stored blob as it is; checkedStoredBlob fails before the end if its bytes are not the recorded ones.
function copiedBlob(layer: Layer, stored: StoredBlob): CompressedBlob {
  let read = false;
  async function* chunks(): AsyncGenerator<Buffer> {
    yield* checkedStoredBlob(stored, layerName(layer));
    read = true;
  }
  return {
    chunks: chunks(),
    result() {
      if (!read) throw new Error('layerBlob: result() asked before the stored blob was read to its end');
      return { digest: stored.digest, size: stored.size };
    },
  };
}
