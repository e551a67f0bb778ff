// The uncompressed tar of a layer blob, whatever its compression: detected from the leading
// bytes (format.md §6) rather than trusted from a media type or member name.
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UserError } from '../errors.ts';
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
  switch (kind) {
    case 'none':
      return stream;
    case 'gzip': {
      const gunzip = createGunzip();
      stream.on('error', (error) => gunzip.destroy(error));
      return stream.pipe(gunzip);
    }
    case 'zstd':
      return throughProgram('zstd', ['-dcq'], stream, what);
    case 'bzip2':
      return throughProgram('bzip2', ['-dc'], stream, what);
    case 'xz':
      return throughProgram('xz', ['-dc'], stream, what);
  }
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

// Pipes a stream through an external decompressor; its failure fails the returned stream.
function throughProgram(program: string, args: string[], input: Readable, what: string): Readable {
  const output = new PassThrough();
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.on('error', (error) => {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    output.destroy(new UserError('decompress', missing
      ? `${what}: is ${program}-compressed, but the ${program} program is not on PATH; install it`
      : `${what}: cannot run ${program}: ${error.message}`, { cause: error }));
  });
  input.on('error', (error) => {
    child.kill();
    output.destroy(error);
  });
  child.stdin.on('error', () => undefined); // EPIPE when the program exits early; its exit status says why
  input.pipe(child.stdin);
  child.stdout.pipe(output, { end: false });
  child.on('close', (code) => {
    if (code === 0) output.end();
    else if (!output.destroyed) output.destroy(new UserError('decompress', `${what}: ${program} failed (exit ${code}): ${stderr.trim() || 'corrupt data'}`));
  });
  return output;
}
