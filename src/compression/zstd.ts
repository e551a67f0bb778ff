// zstd layers through the `zstd` program (Node 20's zlib has no zstd). zstd's multithreaded mode
// gives the same bytes for any number of worker threads (checked in test/compression: -T1 and
// -T4 agree; only --single-thread, which is never used, differs), and input read from a pipe
// never records a content size, so the bytes depend only on the tar and the zstd version
// (nixpkgs' zstd, from buildPackages, in the packaged CLI's PATH).
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { UserError } from '../errors.ts';

/** zstd level; part of the output format. */
export const ZSTD_LEVEL = 3;

/** The zstd stream of `input`'s bytes, compressed with `threads` worker threads (never changing the bytes). */
export async function* zstdStream(input: AsyncIterable<Uint8Array>, options: { readonly threads: number }): AsyncGenerator<Buffer> {
  const threads = Math.max(1, Math.floor(options.threads));
  const child = spawn('zstd', ['-c', '-q', `-${ZSTD_LEVEL}`, `-T${threads}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-2000); });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT'
      ? new UserError('compressor-missing', 'zstd is not on PATH: install zstd, or choose compressor "gz" or "none"', { cause: error })
      : error));
    child.once('close', (code, signal) => code === 0 ? resolve() : reject(
      new UserError('compressor-failed', `zstd failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').pop() ?? ''}`)));
  });
  exited.catch(() => undefined);
  // Feeding stops quietly when zstd dies: its exit status says why.
  const fed = pipeline(Readable.from(input, { objectMode: false }), child.stdin).catch((error: unknown) => error);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const feedError = await fed;
    await exited;
    if (feedError !== undefined) throw feedError;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}
