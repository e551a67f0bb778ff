// The one place the registry sink compresses an uncompressed layer, so a reproducible
// (parallel) compressor can replace it without touching the push.
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';

/** Compressions the registry sink produces for a plain tar layer. */
export type PushCompression = 'gzip';

/** What compressLayer reads: a layer's fresh uncompressed tar stream. */
export interface TarOpener {
  open(): Readable;
}

// A fixed level, and no name or time in the header (zlib writes neither): the same tar gives the
// same bytes with one zlib, so a second push of a layer gets the digest of the first.
const GZIP_LEVEL = 6;

/** Names what compressLayer makes, for caches of its results: change it with the compressor. */
export const COMPRESSOR_ID: Readonly<Record<PushCompression, string>> = { gzip: 'gzip-zlib-6' };

/** A fresh stream of the layer's tar compressed as `compression`; the tar's errors reach it. */
export function compressLayer(layer: TarOpener, compression: PushCompression): Readable {
  switch (compression) {
    case 'gzip': {
      const tar = layer.open();
      const gzip = createGzip({ level: GZIP_LEVEL });
      tar.on('error', (error) => gzip.destroy(error));
      gzip.on('close', () => tar.destroy());
      return tar.pipe(gzip);
    }
  }
}
