// A buildLayer output (`layers = [ … ]`) as a Layer: its identities come from layer.json, its
// tar is regenerated from the store paths (as the stream makes any store layer, verified against
// the recorded diff_id), and its compressed blob is offered as `stored` for sinks to copy.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { GivenLayer } from '../conf/layer-json.ts';
import { DigestingStream } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { decompressedFile } from '../image/decompress.ts';
import type { Layer } from '../image/types.ts';
import { storePathsLayer, type ChunkVerifier } from './store-paths.ts';

// The stored blob is copied in 1 MiB reads: with 64 KiB ones, a 439 MB blob cost 1.2 s of
// waiting between reads and writes.
const BLOB_CHUNK_BYTES = 1 << 20;

/** The layer of a buildLayer output directory, as its layer.json describes it. */
export function givenLayer(layer: GivenLayer, options: { readonly verifier?: ChunkVerifier } = {}): Layer {
  const blobPath = join(layer.dir, layer.blob);
  const label = `layer ${layer.dir} (a buildLayer output)`;
  const stored = { compression: layer.compression, digest: layer.digest, size: layer.blobSize, open: (): Readable => createReadStream(blobPath, { highWaterMark: BLOB_CHUNK_BYTES }) };
  const known = { digest: layer.diffId, size: layer.size };
  if (!layer.root) {
    const tar = storePathsLayer(layer.paths, { ...layer.owner, mtime: layer.mtime, known, label, ...(options.verifier === undefined ? {} : { verifier: options.verifier }) });
    return { ...tar, stored };
  }
  // A copyToRoot tree is not in the store as the layer has it: the blob is decompressed instead.
  return {
    compression: 'none',
    kind: 'store',
    origin: layer.paths,
    diffId: async () => layer.diffId,
    digest: async () => layer.diffId,
    size: async () => layer.size,
    open: () => verified(decompressedFile(blobPath, layer.compression), layer.diffId, label),
    stored,
  };
}

function verified(source: Readable, expected: string, label: string): Readable {
  const check = new DigestingStream((actual) => (actual === expected
    ? undefined
    : new UserError('layer-digest-mismatch', `${label}: its blob decompresses to ${actual}, not the diffId ${expected} its layer.json records; rebuild the layer`)));
  source.on('error', (error) => check.destroy(error));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}
