// The uncompressed bytes of a layer blob or image archive, whatever its compression: detected
// from the leading bytes (format.md §6) rather than trusted from a media type or member name.
// gzip is decompressed in-process, zstd/bzip2/xz by their programs. The one place that knows
// the magic numbers and the decompressors (used by the docker-archive reader, the registry
// source and the rootfs flattener).
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ExecaError, execa as Execa } from 'execa';
import { UserError } from '../errors.ts';
import { gunzipArchive } from './gunzip-archive.ts';
import type { LayerCompression } from './types.ts';

const MAGIC: ReadonlyArray<readonly [LayerCompression, Buffer]> = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['bzip2', Buffer.from('BZh', 'latin1')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
];

/** The compression a blob's first bytes announce ('none' for anything else, e.g. a tar). */
export function sniffCompression(head: Buffer): LayerCompression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && head.subarray(0, magic.length).equals(magic)) return kind;
  }
  return 'none';
}

/** Decompresses a blob stream; `what` names it in errors. zstd, bzip2 and xz need their programs on PATH. */
export async function decompressed(blob: Readable, what: string): Promise<Readable> {
  const { head, stream } = await peek(blob, 6);
  const kind = sniffCompression(head);
  if (kind === 'none') return stream;
  if (kind === 'gzip') {
    const gunzip = createGunzip();
    stream.on('error', (error) => gunzip.destroy(error));
    return stream.pipe(gunzip);
  }
  return throughProgram(kind, [], stream, what);
}

// Decompress to stdout; the input is stdin or the files named after these flags.
const PROGRAM_FLAGS = { zstd: ['-dcq'], bzip2: ['-dc'], xz: ['-dc'] } as const;

/** How many compressed files decompressedFile has started to decompress (a base archive should be decompressed at most twice: index, then copy). */
export const fileDecompressions = { count: 0 };

/** The decompressed bytes of a file whose compression is known: gzip in-process, zstd/bzip2/xz through their programs reading the file. */
export function decompressedFile(path: string, compression: LayerCompression): Readable {
  if (compression === 'none') return createReadStream(path);
  fileDecompressions.count++;
  // Member by member, ignoring what follows the last one, as docker load does (gunzip-archive.ts).
  if (compression === 'gzip') return gunzipArchive(createReadStream(path));
  return throughProgram(compression, ['--', path], undefined, path);
}


// Reads at least `n` bytes (or all, if shorter) and gives back a stream of the whole blob.
async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(all(), { objectMode: false }) };
}

// Runs an external decompressor on `input` (or on the files in `files`, with no input); its
// failure, or a missing program, fails the returned stream with one line naming `what`.
function throughProgram(program: keyof typeof PROGRAM_FLAGS, files: string[], input: Readable | undefined, what: string): Readable {
  const output = new PassThrough();
  let child: ReturnType<typeof Execa> | undefined;
  input?.on('error', (error) => {
    child?.kill();
    output.destroy(error);
  });
  // A reader that stops early must not leave the program blocked on a full pipe, keeping us alive.
  output.on('close', () => child?.kill());
  // execa is loaded when first needed: importing it takes a fifth of a second.
  import('execa').then(({ execa }) => {
    if (output.destroyed) return;
    child = execa(program, [...PROGRAM_FLAGS[program], ...files], { stdin: input ? 'pipe' : 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
    if (input) {
      child.stdin!.on('error', () => undefined); // EPIPE when the program exits early; its exit status says why
      input.pipe(child.stdin!);
    }
    child.stdout!.pipe(output, { end: false });
    child.then(() => output.end(), (error: unknown) => {
      if (output.destroyed) return;
      output.destroy(programFailure(error as ExecaError, program, what));
    });
  }, (error: unknown) => output.destroy(error as Error));
  return output;
}

function programFailure(failure: ExecaError, program: string, what: string): UserError {
  if (failure.exitCode === undefined && failure.signal === undefined) {
    // It never ran.
    return new UserError('decompress', failure.code === 'ENOENT'
      ? `${what}: is ${program}-compressed, but the ${program} program is not on PATH; install it`
      : `${what}: cannot run ${program}: ${failure.originalMessage}`, { cause: failure });
  }
  const stderr = typeof failure.stderr === 'string' ? failure.stderr.trim() : '';
  return new UserError('decompress', `${what}: ${program} failed (exit ${failure.exitCode ?? null}): ${stderr || 'corrupt data'}`);
}
