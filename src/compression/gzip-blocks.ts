// Reproducible parallel gzip (pigz's scheme, RFC 1952): the tar is cut into fixed 1 MiB blocks,
// each deflated on its own (Node's zlib, on libuv's thread pool) with the previous block's last
// 32 KiB as its dictionary and a sync flush at its end, so blocks concatenate into one deflate
// stream. The block layout and the level are constants, not the number of threads, so the bytes
// depend only on the tar and on the zlib in nix-strata's Node: any concurrency gives the same digest.
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';

/** Input bytes per independently deflated block. Part of the output format: never derive it from the machine. */
export const GZIP_BLOCK_SIZE = 1 << 20;
/** Deflate level; part of the output format like the block size. */
export const GZIP_LEVEL = 3;
const DICTIONARY_SIZE = 32 * 1024;

const deflate = promisify<Buffer, ZlibOptions, Buffer>(deflateRaw);

// ID1 ID2, CM = deflate, no flags, MTIME 0 (no time in the bytes), XFL 0, OS 3 (Unix), as `gzip -n`.
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);

/** Options of gzipBlocks. */
export interface GzipBlocksOptions {
  /** Blocks deflated at once; changes speed and memory only, never the bytes. */
  readonly concurrency: number;
}

/** The gzip stream of `input`'s bytes, in order; `concurrency` blocks are compressed at a time. */
export async function* gzipBlocks(input: AsyncIterable<Uint8Array>, options: GzipBlocksOptions): AsyncGenerator<Buffer> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  yield HEADER;
  let crc = 0;
  let length = 0;
  let previous: Buffer | undefined;
  const inFlight: Promise<Buffer>[] = [];
  for await (const block of blocksOf(input, GZIP_BLOCK_SIZE)) {
    crc = crc32(block, crc);
    length += block.length;
    inFlight.push(deflateBlock(block, previous, false));
    previous = block;
    if (inFlight.length > concurrency) yield await inFlight.shift()!;
  }
  // The final block (empty when the input ended on a block boundary) carries BFINAL.
  inFlight.push(deflateBlock(Buffer.alloc(0), previous, true));
  for (const pending of inFlight) yield await pending;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}

function deflateBlock(block: Buffer, previous: Buffer | undefined, last: boolean): Promise<Buffer> {
  return deflate(block, {
    level: GZIP_LEVEL,
    memLevel: 8,
    windowBits: 15,
    strategy: constants.Z_DEFAULT_STRATEGY,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    ...(previous === undefined ? {} : { dictionary: previous.subarray(Math.max(0, previous.length - DICTIONARY_SIZE)) }),
  });
}

/** Regroups `input` into blocks of exactly `size` bytes (the last may be shorter, never empty). */
export async function* blocksOf(input: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let block = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const chunk of input) {
    let offset = 0;
    while (offset < chunk.length) {
      const taken = Math.min(size - filled, chunk.length - offset);
      block.set(chunk.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === size) {
        yield block;
        block = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}
