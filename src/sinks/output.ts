// Where an archive goes: stdout or a file, optionally through a compressor. A regular file
// is written under a temporary name and renamed when complete, so a failure (disk full, a
// bad layer, an interrupt) never leaves a partial archive under the final name; a device,
// FIFO or /dev/stdout is written in place (output-target.ts).
import { createWriteStream, openSync } from 'node:fs';
import { rm, rename } from 'node:fs/promises';
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { outputError, UserError } from '../errors.ts';
import { buildCores } from '../build-cores.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { outputTarget, type OutputTarget } from './output-target.ts';

export type Compressor = 'none' | 'gz' | 'zstd';

export const COMPRESSORS: readonly Compressor[] = ['none', 'gz', 'zstd'];

/** A destination being written: `stream` takes the archive; then `finish` or `abort`. */
export interface Output {
  readonly stream: Writable;
  /** Waits for every byte to reach its destination and gives the file its final name. */
  finish(): Promise<void>;
  /** Stops writing and removes whatever was written. */
  abort(): Promise<void>;
}

export function parseCompressor(value: string): Compressor {
  if ((COMPRESSORS as readonly string[]).includes(value)) return value as Compressor;
  throw new UserError('bad-compressor', `unknown compressor "${value}": use one of ${COMPRESSORS.join(', ')}`);
}

function compressorCommand(compressor: Exclude<Compressor, 'none'>): [string, string[]] {
  const threads = String(buildCores());
  // gzip: no stored name or time, rsyncable (api.md §4.2); zstd: level 3, multithreaded.
  return compressor === 'gz'
    ? ['pigz', ['-c', '-n', '-T', '--rsyncable', '-p', threads]]
    : ['zstd', ['-c', '-q', '-3', `-T${threads}`]];
}

/** Opens stdout (path undefined) or a file for an archive, compressed as asked. */
export function openOutput(options: { path?: string; compressor: Compressor }): Output {
  const { path, compressor } = options;
  const target = path === undefined ? undefined : outputTarget(path);
  const temporary = target?.kind === 'replace' ? target.temporary : undefined;
  const where = path ?? 'the archive to stdout';
  // Guarded before it exists: a signal right after the open must find it registered.
  const guard = temporary === undefined ? undefined : removeOnInterrupt(temporary);
  let sink: Writable;
  try {
    sink = target === undefined ? process.stdout : openSink(target, where);
  } catch (error) {
    guard?.release();
    throw error;
  }

  if (compressor === 'none') {
    const done = target === undefined ? Promise.resolve() : finished(sink, where);
    return output(sink, done, sink);
  }
  const [command, args] = compressorCommand(compressor);
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  const child = execa(command, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true } });
  let sinkFailure: unknown;
  const delivered = pipeline(child.stdout!, sink, { end: target !== undefined }).catch((error: unknown) => {
    // The destination failed (disk full): say so to the writer now, rather than let it see
    // the compressor die of SIGPIPE and report that.
    sinkFailure = outputError(error, where);
    input.destroy(sinkFailure as Error);
    throw sinkFailure;
  });
  const compressed = child.catch((error: unknown) => {
    throw new UserError('compressor-failed', `${command} failed: ${(error as { shortMessage?: string }).shortMessage ?? String(error)} (is ${command} installed and on PATH?)`, { cause: error });
  });
  const done = Promise.allSettled([pipeline(input, child.stdin!), delivered, compressed]).then((results) => {
    if (sinkFailure !== undefined) throw sinkFailure;
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  });
  return output(input, done, sink, () => child.kill());

  function output(stream: Writable, written: Promise<void>, last: Writable, stop?: () => void): Output {
    // Awaited by finish or abort; until then a failure must not count as unhandled.
    written.catch(() => undefined);
    return {
      stream,
      async finish() {
        await written;
        if (target?.kind === 'replace') {
          try {
            await rename(target.temporary, target.final);
          } catch (error) {
            await rm(target.temporary, { force: true });
            throw outputError(error, where);
          } finally {
            guard?.release();
          }
        }
      },
      async abort() {
        stop?.();
        stream.destroy();
        if (last !== process.stdout) last.destroy();
        await written.catch(() => undefined);
        if (temporary !== undefined) await rm(temporary, { force: true });
        guard?.release();
      },
    };
  }
}

/** Where an archive goes, as openOutput takes it; `open` replaces openOutput (stdout through a worker). */
export interface WriteOutputOptions {
  /** A file to write; stdout when absent. */
  readonly path?: string;
  readonly compressor: Compressor;
  readonly open?: () => Output;
}

/**
 * Opens the output (so a missing directory fails before any work), lets `write` fill its
 * stream, then finishes it; on any failure aborts it, so nothing half-written stays. A failure
 * of the output itself (disk full, an I/O error), which writers can only call "the archive",
 * is reported naming the user's path.
 */
export async function writeOutput<T>(options: WriteOutputOptions, write: (stream: Writable) => Promise<T>): Promise<T> {
  const output = options.open?.() ?? openOutput(options);
  let streamFailure: unknown;
  const onError = (error: unknown): void => {
    streamFailure ??= error;
  };
  output.stream.on('error', onError);
  try {
    const result = await write(output.stream);
    await output.finish();
    return result;
  } catch (error) {
    await output.abort();
    const ofOutput = streamFailure !== undefined && (error === streamFailure || (error as { cause?: unknown }).cause === streamFailure);
    throw options.path !== undefined && ofOutput ? outputError(streamFailure, options.path) : error;
  } finally {
    output.stream.off('error', onError);
  }
}

// Opened now, so a missing directory or a read-only file system is reported before any work,
// naming the user's path. A FIFO is opened asynchronously: that waits for its reader.
function openSink(target: OutputTarget, where: string): Writable {
  if (target.kind === 'in-place' && target.fifo) return createWriteStream(target.path);
  try {
    const fd = target.kind === 'replace' ? openSync(target.temporary, 'w', 0o644) : openSync(target.path, 'w');
    return createWriteStream('', { fd });
  } catch (error) {
    throw outputError(error, where);
  }
}

function finished(stream: Writable, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', (error: NodeJS.ErrnoException) => reject(outputError(error, where)));
  });
}
