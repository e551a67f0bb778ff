// The one place the registry sink compresses an uncompressed layer: the reproducible parallel
// gzip of src/compression, so a layer pushed from any machine, with any number of cores, has the
// digest the `oci` output names (and the one a blob-info cache recorded).
import { Readable } from 'node:stream';
import { gzipBlocks, GZIP_BLOCK_SIZE, GZIP_LEVEL } from '../compression/gzip-blocks.ts';
import { buildCores } from '../build-cores.ts';

/** Compressions the registry sink produces for a plain tar layer. */
export type PushCompression = 'gzip';

/** What compressLayer reads: a layer's fresh uncompressed tar stream. */
export interface TarOpener {
  open(): Readable;
}

/** Names what compressLayer makes, for caches of its results: change it with the compressor. */
export const COMPRESSOR_ID: Readonly<Record<PushCompression, string>> = { gzip: `gzip-blocks-${GZIP_BLOCK_SIZE}-${GZIP_LEVEL}` };

/** A fresh stream of the layer's tar compressed as `compression`; the tar's errors reach it. */
export function compressLayer(layer: TarOpener, compression: PushCompression): Readable {
  switch (compression) {
    case 'gzip': {
      const tar = layer.open();
      const gzip = Readable.from(gzipBlocks(tar, { concurrency: buildCores() }), { objectMode: false });
      gzip.on('close', () => tar.destroy());
      return gzip;
    }
  }
}
