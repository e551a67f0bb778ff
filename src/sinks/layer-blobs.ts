// A layer's blob in the compression a sink stores or uploads: the layer's own bytes when they
// already are in it, else its tar compressed reproducibly (src/compression). Shared by the OCI
// layout and registry sinks.
import type { Readable } from 'node:stream';
import { compressBlob, type BlobCompression, type CompressedBlob } from '../compression/compress.ts';
import { buildCores } from '../hashing/build-cores.ts';
import { decompressed } from '../image/decompress.ts';
import type { Layer } from '../image/types.ts';

/** OCI media types of a layer blob by compression (image-spec media-types.md). */
export const OCI_LAYER_MEDIA_TYPE: Record<BlobCompression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** `layer`'s blob compressed as `compression`; threads default to the build's cores (never changing the bytes). */
export async function layerBlob(layer: Layer, compression: BlobCompression, threads = buildCores()): Promise<CompressedBlob> {
  if (layer.compression === compression) return compressBlob(layer.open(), 'none', 1);
  const tar: Readable = layer.compression === 'none' ? layer.open() : await decompressed(layer.open(), `layer ${layer.origin.join(', ')}`);
  return compressBlob(tar, compression, threads);
}
