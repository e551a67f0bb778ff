// Batching of tar bytes into large chunks, shared by the store-layer and customisation writers.
// Headers and small files go into one big buffer instead of one stream write (or one stream
// object) per entry: per-entry overhead is what limits throughput on closures of tens of
// thousands of small files. File contents are read straight into the chunk, never whole.
import { openSync, readSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { BLOCK_SIZE, RECORD_SIZE } from './header.ts';

/** Default chunk size: large enough that per-chunk costs vanish, small enough to be constant memory. */
export const CHUNK_SIZE = 256 * 1024;

/** Where a file read fails and how to describe the file in the error message. */
export interface ContentSource {
  /** The file to read. */
  readonly diskPath: string | Buffer;
  /** How the file is named in error messages (its name in the archive, or its disk path). */
  readonly label: string;
}

/**
 * Collects tar bytes into fixed-size chunks. Every method is a generator that yields each chunk
 * as it fills up: a fresh buffer each time, so consumers may keep them, unless `reuse` is set,
 * in which case one buffer is refilled and each chunk is valid only until the next is pulled
 * (for consumers that hash synchronously: the bytes stay in the CPU cache and nothing is
 * allocated, so the garbage collector has nothing to do).
 */
export class ChunkBuffer {
  private chunk: Buffer;
  private position = 0;
  private written = 0;

  constructor(private readonly chunkSize: number = CHUNK_SIZE, private readonly reuse = false, private readonly pool?: ChunkSupply) {
    // Not zero-filled: every byte is written (content, headers, or explicit zeros) before it is emitted.
    this.chunk = pool?.take(chunkSize) ?? Buffer.allocUnsafeSlow(chunkSize);
  }

  /**
   * Room for `length` bytes at the current position, for writing a header in place: the buffer
   * and offset to write at, or undefined when the chunk has less room left (then use `put`).
   * The caller must write all `length` bytes and then call `advance(length)`.
   */
  room(length: number): Buffer | undefined {
    return this.chunkSize - this.position >= length ? this.chunk : undefined;
  }

  /** Where `room`'s bytes go in its buffer. */
  get at(): number {
    return this.position;
  }

  /** Accepts `length` bytes written in place after `room(length)`; yields the chunk if that filled it. */
  advance(length: number): Buffer | undefined {
    this.position += length;
    this.written += length;
    return this.position === this.chunkSize ? this.rotate() : undefined;
  }

  /** Bytes handed to the buffer so far (the archive offset). */
  get offset(): number {
    return this.written;
  }

  /** Appends bytes. */
  *put(bytes: Uint8Array): Generator<Buffer> {
    let from = 0;
    while (from < bytes.length) {
      const count = Math.min(bytes.length - from, this.chunkSize - this.position);
      this.chunk.set(bytes.subarray(from, from + count), this.position);
      this.position += count;
      this.written += count;
      from += count;
      if (this.position === this.chunkSize) yield this.rotate();
    }
  }

  /** Appends `count` zero bytes. */
  *zeros(count: number): Generator<Buffer> {
    let left = count;
    while (left > 0) {
      const step = Math.min(left, this.chunkSize - this.position);
      this.chunk.fill(0, this.position, this.position + step);
      this.position += step;
      this.written += step;
      left -= step;
      if (this.position === this.chunkSize) yield this.rotate();
    }
  }

  /**
   * Appends exactly `size` bytes of a file's content followed by its block padding, reading
   * into the chunk directly. Fails if the file turns out shorter or longer than `size`.
   */
  *fileContent(fd: number, size: number, source: ContentSource): Generator<Buffer> {
    let left = size;
    let filePosition = 0;
    for (;;) {
      const space = this.chunkSize - this.position;
      if (left < space) {
        // The rest fits with a byte to spare: ask for one byte more than expected, so that one
        // read both finishes the file and proves it did not grow (a short read means EOF).
        const got = readOrFail(fd, this.chunk, this.position, left + 1, filePosition, source);
        if (got > left) {
          this.chunk[this.position + left] = 0;
          throw sizeChanged(source, size, 'it has more bytes now');
        }
        if (got < left) throw sizeChanged(source, size, `only ${filePosition + got} bytes could be read`);
        this.position += got;
        this.written += got;
        break;
      }
      const got = readOrFail(fd, this.chunk, this.position, space, filePosition, source);
      if (got === 0) throw sizeChanged(source, size, `only ${filePosition} bytes could be read`);
      this.position += got;
      this.written += got;
      filePosition += got;
      left -= got;
      if (this.position === this.chunkSize) yield this.rotate();
    }
    const remainder = size % BLOCK_SIZE;
    if (remainder !== 0) yield* this.zeros(BLOCK_SIZE - remainder);
  }

  /**
   * `fileContent` without a generator, for a file that ends, padded, before the chunk does (so
   * nothing is yielded): whether it did; when not, nothing was read and `fileContent` must run.
   */
  smallFile(fd: number, size: number, source: ContentSource): boolean {
    const padded = size + ((BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE);
    if (padded >= this.chunkSize - this.position) return false;
    // One byte more than expected: a short read means EOF, a long one that the file grew.
    const got = readOrFail(fd, this.chunk, this.position, size + 1, 0, source);
    if (got > size) {
      this.chunk[this.position + size] = 0;
      throw sizeChanged(source, size, 'it has more bytes now');
    }
    if (got < size) throw sizeChanged(source, size, `only ${got} bytes could be read`);
    this.chunk.fill(0, this.position + size, this.position + padded);
    this.position += padded;
    this.written += padded;
    return true;
  }

  /** Two zero blocks and the padding to a multiple of 10240 (format.md §3.3), then the last chunk. */
  *end(): Generator<Buffer> {
    const afterBlocks = this.written + 2 * BLOCK_SIZE;
    const remainder = afterBlocks % RECORD_SIZE;
    yield* this.zeros(2 * BLOCK_SIZE + (remainder === 0 ? 0 : RECORD_SIZE - remainder));
    if (this.position > 0) {
      const last = this.chunk.subarray(0, this.position);
      this.chunk = Buffer.alloc(0);
      this.position = 0;
      yield last;
    }
  }

  private rotate(): Buffer {
    const full = this.chunk;
    if (!this.reuse) this.chunk = this.pool?.take(this.chunkSize) ?? Buffer.allocUnsafeSlow(this.chunkSize);
    this.position = 0;
    return full;
  }
}

/** Where a ChunkBuffer's chunks come from: a ChunkPool, or the piped stream's shared slots (hashing/pipe-ring.ts). */
export interface ChunkSupply {
  /** A chunk of `size` bytes, to be filled completely. */
  take(size: number): Buffer;
  /** Takes back a chunk its consumer is done with. */
  give(chunk: Buffer): void;
  /** Undefined when the next step of a chunk generator may take chunks; else resolves when it may. */
  whenReady?(): Promise<void> | undefined;
}

/**
 * Chunks a consumer has handed back because it is provably done with them (see
 * GeneratorReadable.recycle): refilling them instead of allocating new ones spares the page
 * faults of fresh memory and the garbage collections that megabytes of dead chunks trigger.
 */
export class ChunkPool implements ChunkSupply {
  private readonly spare: Buffer[] = [];

  constructor(private readonly limit = 4) {}

  /** A chunk of `size` bytes: a spare one when there is one. */
  take(size: number): Buffer {
    const spare = this.spare.pop();
    return spare !== undefined && spare.length === size ? spare : Buffer.allocUnsafeSlow(size);
  }

  /** Takes back a whole chunk (never a partial last chunk, never one twice). */
  give(chunk: Buffer): void {
    if (chunk.byteOffset !== 0 || chunk.length !== chunk.buffer.byteLength) return;
    if (this.spare.length >= this.limit || this.spare.includes(chunk)) return;
    this.spare.push(chunk);
  }
}

/**
 * Opens a file for reading, or fails with a UserError naming it. The size written in the header
 * comes from the caller's stat; `fileContent` then proves the file still has exactly that size.
 */
export function openForContent(source: ContentSource): number {
  try {
    return openSync(source.diskPath, 'r');
  } catch (error) {
    throw new UserError('unreadable-file', `cannot read ${source.label}: ${describeFsError(error)}; make the file readable or leave it out`, { cause: error });
  }
}

/** The errno code and message of a Node fs error, for one-line messages. */
export function describeFsError(error: unknown): string {
  if (error instanceof Error && 'code' in error) return `${String(error.code)} (${error.message})`;
  return String(error);
}

function readOrFail(fd: number, into: Buffer, at: number, length: number, position: number, source: ContentSource): number {
  try {
    return readSync(fd, into, at, length, position);
  } catch (error) {
    throw new UserError('unreadable-file', `cannot read ${source.label}: ${describeFsError(error)}`, { cause: error });
  }
}

function sizeChanged(source: ContentSource, size: number, what: string): UserError {
  return new UserError(
    'file-changed',
    `${source.label} changed size while being archived (stat said ${size} bytes, ${what}); nothing may write to the tree while it is archived`,
  );
}

/**
 * The chunks of a synchronous tar walk as an async stream, letting the event loop run every
 * 32 MiB, so a signal is handled (and its temp file removed) during a long walk.
 */
export async function* asyncChunks(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  let since = 0;
  for (const chunk of chunks) {
    yield chunk;
    since += chunk.length;
    if (since >= 32 << 20) {
      since = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
