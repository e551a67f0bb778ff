// A layer blob in the compression a sink asks for, with its digest and size counted as it goes.
import { createHash } from 'node:crypto';
import type { Digest } from '../digest/digest.ts';
import { gzipBlocks } from './gzip-blocks.ts';
import { zstdStream } from './zstd.ts';

/** How a sink stores or uploads layer blobs. */
export type BlobCompression = 'none' | 'gzip' | 'zstd';

/** The compressed bytes of a tar stream; `result()` settles once they have all been read. */
export interface CompressedBlob {
  readonly chunks: AsyncIterable<Buffer>;
  /** Digest and size of the blob, known when `chunks` has been read to the end. */
  result(): { digest: Digest; size: number };
}

/**
 * Compresses `tar` as `compression`. `concurrency` (threads) changes speed only: the bytes
 * depend on the tar and the compressor's fixed parameters (gzip-blocks.ts, zstd.ts).
 */
export function compressBlob(tar: AsyncIterable<Uint8Array>, compression: BlobCompression, concurrency: number): CompressedBlob {
  const source = compression === 'gzip' ? gzipBlocks(tar, { concurrency })
    : compression === 'zstd' ? zstdStream(tar, { threads: concurrency })
      : asBuffers(tar);
  const hash = createHash('sha256');
  let size = 0;
  let done: { digest: Digest; size: number } | undefined;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
    done = { digest: `sha256:${hash.digest('hex')}` as Digest, size };
  }
  return {
    chunks: counted(),
    result() {
      if (done === undefined) throw new Error('compressBlob: result() asked before the blob was read to its end');
      return done;
    },
  };
}

async function* asBuffers(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of input) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}
