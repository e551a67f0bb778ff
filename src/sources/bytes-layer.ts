// A layer held in memory: for tests and for layers small enough to build in one go.
import { Readable } from 'node:stream';
import { sha256Digest, type Digest } from '../digest/digest.ts';
import type { Layer, LayerCompression, LayerKind } from '../image/types.ts';

/** How a bytes layer presents itself; only `origin` is required. */
export interface BytesLayerOptions {
  readonly origin: readonly string[];
  readonly kind?: LayerKind;
  /** Compression of `bytes`; when not 'none', `diffId` must be given (it is not recomputed). */
  readonly compression?: LayerCompression;
  readonly diffId?: Digest;
}

/** A Layer whose blob is `bytes`. */
export function bytesLayer(bytes: Buffer, options: BytesLayerOptions): Layer {
  const compression = options.compression ?? 'none';
  const digest = sha256Digest(bytes);
  if (compression !== 'none' && options.diffId === undefined) {
    throw new Error('bytesLayer: a compressed blob needs its diffId');
  }
  const diffId = options.diffId ?? digest;
  return {
    compression,
    kind: options.kind,
    origin: options.origin,
    diffId: async () => diffId,
    digest: async () => digest,
    size: async () => bytes.length,
    open: () => Readable.from([bytes], { objectMode: false }),
  };
}
