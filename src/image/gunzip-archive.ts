// gzip decompression of a whole image archive file, member by member (RFC 1952), reading what
// `docker load` reads (it stops at the tar's end): after the last gzip member, bytes that do
// not start with a valid member header (trailing garbage, padding) are ignored, where zlib's
// gunzip fails on them. Each member's
// deflate data goes through zlib's raw inflater, which stops at the end of the deflate stream
// and reports how much input it used; its CRC-32 and length trailer are checked.
import { Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';

const MAGIC = [0x1f, 0x8b];
const DEFLATE = 8;
const FLAGS = { headerCrc: 2, extra: 4, name: 8, comment: 16, reserved: 0xe0 };

/** The decompressed bytes of gzip data (one or more members; anything after them ignored). */
export function gunzipArchive(input: AsyncIterable<Buffer>): Readable {
  return Readable.from(members(new ByteReader(input[Symbol.asyncIterator]())), { objectMode: false });
}

async function* members(reader: ByteReader): AsyncGenerator<Buffer> {
  await skipHeader(reader);
  yield* inflateMember(reader);
  // Later members are read while their headers are valid; anything else is trailing bytes.
  while (true) {
    try {
      await skipHeader(reader);
    } catch {
      return;
    }
    yield* inflateMember(reader);
  }
}

async function skipHeader(reader: ByteReader): Promise<void> {
  const fixed = await reader.take(10, 'gzip header');
  if (fixed[0] !== MAGIC[0] || fixed[1] !== MAGIC[1]) throw new Error('not gzip data (bad magic)');
  if (fixed[2] !== DEFLATE) throw new Error(`unknown gzip compression method ${fixed[2]}`);
  const flags = fixed[3]!;
  if (flags & FLAGS.reserved) throw new Error('reserved gzip header flags set');
  if (flags & FLAGS.extra) await reader.take((await reader.take(2, 'gzip header')).readUInt16LE(0), 'gzip header');
  if (flags & FLAGS.name) await reader.skipPastZero();
  if (flags & FLAGS.comment) await reader.skipPastZero();
  if (flags & FLAGS.headerCrc) await reader.take(2, 'gzip header');
}

/**
 * One member's deflate data and trailer; the input after it is left in the reader. The output
 * of each input chunk is gathered before it is passed on, so memory holds one chunk's worth
 * (typically 64 KiB in, a few hundred KiB out).
 */
async function* inflateMember(reader: ByteReader): AsyncGenerator<Buffer> {
  const inflater = createInflateRaw();
  const output: Buffer[] = [];
  let failure: Error | undefined;
  // Wakes a write waiting on a chunk the inflater failed on (its callback may never come).
  let wake: (() => void) | undefined;
  inflater.on('data', (chunk: Buffer) => output.push(chunk));
  inflater.on('error', (error: Error) => {
    failure = error;
    wake?.();
  });
  const ended = new Promise<void>((resolve) => inflater.once('end', resolve).once('close', resolve));
  let written = 0;
  let crc = 0;
  let size = 0;
  const drain = function* (): Generator<Buffer> {
    for (const chunk of output.splice(0)) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      yield chunk;
    }
  };
  while (true) {
    const chunk = await reader.next();
    if (chunk === undefined) throw new Error('unexpected end of file');
    await new Promise<void>((resolve) => {
      wake = resolve;
      inflater.write(chunk, () => resolve());
    });
    written += chunk.length;
    if (failure) throw failure;
    yield* drain();
    // Input the inflater did not use follows the end of the deflate stream.
    const unused = written - inflater.bytesWritten;
    if (unused > 0) {
      reader.unshift(chunk.subarray(chunk.length - unused));
      break;
    }
  }
  inflater.end();
  await ended;
  if (failure) throw failure;
  yield* drain();
  const trailer = await reader.take(8, 'gzip trailer');
  if (trailer.readUInt32LE(0) !== crc >>> 0) throw new Error('gzip CRC-32 mismatch: the data is corrupt');
  if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw new Error('gzip length mismatch: the data is corrupt');
}

/** Buffered reads from an iterator of chunks, with put-back. */
class ByteReader {
  #buffered: Buffer[] = [];
  #done = false;

  constructor(readonly source: AsyncIterator<Buffer>) {}

  /** The next chunk (put-back bytes first), or undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    const first = this.#buffered.shift();
    if (first !== undefined) return first;
    if (this.#done) return undefined;
    const result = await this.source.next();
    if (result.done) {
      this.#done = true;
      return undefined;
    }
    return result.value;
  }

  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.#buffered.unshift(bytes);
  }

  /** Up to `n` bytes without consuming them (fewer only at the end). */
  async peek(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    while (length < n) {
      const chunk = await this.next();
      if (chunk === undefined) break;
      parts.push(chunk);
      length += chunk.length;
    }
    const all = Buffer.concat(parts);
    this.unshift(all);
    return all.subarray(0, n);
  }

  /** Exactly `n` bytes; `what` names them when the data ends first. */
  async take(n: number, what: string): Promise<Buffer> {
    const bytes = await this.peek(n);
    if (bytes.length < n) throw new Error(`unexpected end of file in the ${what}`);
    const rest = this.#buffered.shift()!;
    this.unshift(rest.subarray(n));
    return bytes;
  }

  async skipPastZero(): Promise<void> {
    while (true) {
      const chunk = await this.next();
      if (chunk === undefined) throw new Error('unexpected end of file in the gzip header');
      const zero = chunk.indexOf(0);
      if (zero !== -1) {
        this.unshift(chunk.subarray(zero + 1));
        return;
      }
    }
  }
}
