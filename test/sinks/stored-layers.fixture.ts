// Layers made by hand whose `stored` blob (what a buildLayer output holds) is a real gzip or
// zstd blob of their tar, compressed with src/compression; and an image of such layers.
import { Readable } from 'node:stream';
import { compressBlob, type CompressedBlob } from '../../src/compression/compress.ts';
import type { Digest } from '../../src/digest/digest.ts';
import type { Image, Layer } from '../../src/image/types.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { testImage } from '../registry/push-fixture.ts';

export type StoredCompression = 'gzip' | 'zstd';

/** `tar` compressed as `compression`, with its digest and size. */
export async function compressed(tar: Buffer, compression: StoredCompression): Promise<{ bytes: Buffer; digest: Digest; size: number }> {
  const blob: CompressedBlob = compressBlob(Readable.from([tar]), compression, 2);
  const chunks: Buffer[] = [];
  for await (const chunk of blob.chunks) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), ...blob.result() };
}

/** A layer with its tar counted as it is opened, optionally with a stored blob (whose bytes `damage` may change). */
export interface CountedLayer extends Layer {
  /** How often the tar itself was opened. */
  readonly opened: () => number;
}

export async function storedLayer(tar: Buffer, origin: string, compression: StoredCompression | undefined, damage?: (blob: Buffer) => Buffer): Promise<CountedLayer> {
  const plain = bytesLayer(tar, { origin: [origin], kind: 'store' });
  let opened = 0;
  const counted = { ...plain, opened: () => opened, open: () => { opened++; return plain.open(); } };
  if (compression === undefined) return counted;
  const blob = await compressed(tar, compression);
  const bytes = damage === undefined ? blob.bytes : damage(blob.bytes);
  return { ...counted, stored: { compression, digest: blob.digest, size: blob.size, open: () => Readable.from([bytes], { objectMode: false }) } };
}

/**
 * testImage's three layers (busybox, 300 kB of data, /etc/motd), the first two stored as
 * `compression` (when given), the top one plain: what a runtime in a buildLayer under a changed
 * application looks like.
 */
export async function imageWithStored(compression: StoredCompression | undefined, variant = 'stored', damage?: (blob: Buffer) => Buffer): Promise<Omit<Image, 'layers'> & { layers: readonly CountedLayer[]; motd: string; tars: readonly Buffer[] }> {
  const base = testImage(variant);
  const layers = await Promise.all(base.tars.map((tar, i) => storedLayer(tar, `/nix/store/layer-${i}`, i < 2 ? compression : undefined, i === 1 ? damage : undefined)));
  return { layers, rawConfig: base.rawConfig, motd: base.motd, tars: base.tars };
}
