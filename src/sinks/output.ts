// Where an archive goes: stdout or a file, optionally through a compressor (in members, so a
// writer can copy in a blob already compressed the same way: compressed-members.ts). A regular file
// is written under a temporary name and renamed when complete, so a failure (disk full, a
// bad layer, an interrupt) never leaves a partial archive under the final name; a device,
// FIFO or /dev/stdout is written in place (output-target.ts).
import { createWriteStream, openSync } from 'node:fs';
import { rm, rename } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { outputError, UserError } from '../errors.ts';
import { buildCores } from '../build-cores.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { outputTarget, type OutputTarget } from './output-target.ts';
import { compressInMembers, type CompressedMembers, type MemberCompressor } from './compressed-members.ts';

export type Compressor = 'none' | 'gz' | 'zstd';

export const COMPRESSORS: readonly Compressor[] = ['none', 'gz', 'zstd'];

/** A destination being written: `stream` takes the archive; then `finish` or `abort`. */
export interface Output {
  readonly stream: Writable;
  /** Present when the output is compressed (gz, zstd): a blob compressed the same way may be copied in as it is. */
  readonly members?: CompressedMembers;
  /** Waits for every byte to reach its destination and gives the file its final name. */
  finish(): Promise<void>;
  /** Stops writing and removes whatever was written. */
  abort(): Promise<void>;
}

export function parseCompressor(value: string): Compressor {
  if ((COMPRESSORS as readonly string[]).includes(value)) return value as Compressor;
  throw new UserError('bad-compressor', `unknown compressor "${value}": use one of ${COMPRESSORS.join(', ')}`);
}

function memberCompressor(compressor: Exclude<Compressor, 'none'>): MemberCompressor {
  const threads = String(buildCores());
  // gzip: no stored name or time, rsyncable (api.md §4.2); zstd: level 3, multithreaded.
  return compressor === 'gz'
    ? { compression: 'gzip', command: 'pigz', args: ['-c', '-n', '-T', '--rsyncable', '-p', threads] }
    : { compression: 'zstd', command: 'zstd', args: ['-c', '-q', '-3', `-T${threads}`] };
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
  const compressed = compressInMembers(memberCompressor(compressor), sink, { end: target !== undefined, where });
  return output(compressed.stream, compressed.done, sink, compressed.stop, compressed.members);

  function output(stream: Writable, written: Promise<void>, last: Writable, stop?: () => void, members?: CompressedMembers): Output {
    // Awaited by finish or abort; until then a failure must not count as unhandled.
    written.catch(() => undefined);
    return {
      stream,
      ...(members === undefined ? {} : { members }),
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
export async function writeOutput<T>(options: WriteOutputOptions, write: (stream: Writable, members: CompressedMembers | undefined) => Promise<T>): Promise<T> {
  const output = options.open?.() ?? openOutput(options);
  let streamFailure: unknown;
  const onError = (error: unknown): void => {
    streamFailure ??= error;
  };
  output.stream.on('error', onError);
  try {
    const result = await write(output.stream, output.members);
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
const SINK_BUFFER_BYTES = 1 << 20;

function openSink(target: OutputTarget, where: string): Writable {
  // Buffered up to 1 MiB (not the default 16 KiB), so a writer's large chunks are not each a wait for drain.
  if (target.kind === 'in-place' && target.fifo) return createWriteStream(target.path, { highWaterMark: SINK_BUFFER_BYTES });
  try {
    const fd = target.kind === 'replace' ? openSync(target.temporary, 'w', 0o644) : openSync(target.path, 'w');
    return createWriteStream('', { fd, highWaterMark: SINK_BUFFER_BYTES });
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
