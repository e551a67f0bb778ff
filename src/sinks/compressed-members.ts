// An archive compressed as a sequence of members: gzip members (RFC 1952 §2.2) or zstd frames,
// which gunzip, zstd -d and docker load read as one stream. The archive's own bytes go through
// one compressor process per member; a blob already compressed the same way (a layer's stored
// blob, sinks/stored-blob.ts) is copied in between as it is, instead of being compressed again.
// With nothing copied in there is one member, the bytes of a single compressor run.
import type { Readable, Writable } from 'node:stream';
import { Writable as WritableStream } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { execa as Execa } from 'execa';
import { outputError, UserError } from '../errors.ts';
import { whenWritable } from './when-writable.ts';

/** The compressions whose members concatenate. */
export type MemberCompression = 'gzip' | 'zstd';

/** What a writer of a compressed output may do besides writing: copy in a blob compressed as the output is. */
export interface CompressedMembers {
  readonly compression: MemberCompression;
  /**
   * Ends the member being compressed (everything written so far), copies `blob` after it
   * verbatim, and starts a new member for what is written next. A failure of `blob` is thrown.
   */
  copyCompressed(blob: AsyncIterable<Buffer>): Promise<void>;
}

/** An output being compressed in members. */
export interface MemberOutput {
  /** Takes the uncompressed bytes; ending it ends the last member (and the sink, when asked). */
  readonly stream: Writable;
  readonly members: CompressedMembers;
  /** Settles once every byte is in the sink, with the first failure (the sink's before the compressor's). */
  readonly done: Promise<void>;
  /** Kills the running compressor. */
  stop(): void;
}

/** The compressor program of one member, reading the uncompressed bytes on stdin. */
export interface MemberCompressor {
  readonly compression: MemberCompression;
  readonly command: string;
  readonly args: readonly string[];
}

interface Member {
  readonly stdin: Writable;
  /** The compressor exited successfully and all of its output was written to the sink. */
  readonly closed: Promise<void>;
  kill(): void;
}

const EMPTY = Buffer.alloc(0);

/** Compresses what is written to `stream` into `sink`; `end` ends the sink after the last member; `where` names it in errors. */
export function compressInMembers(compressor: MemberCompressor, sink: Writable, options: { end: boolean; where: string }): MemberOutput {
  const { command, args } = compressor;
  let failure: unknown;
  // The running compressor: undefined only while a blob is copied in.
  let member: Member | undefined;
  // Set by stop (an abort): a blob being copied in stops too.
  let abandoned: Error | undefined;
  const stopper = (): unknown => failure ?? abandoned;

  const fail = (error: unknown): void => {
    failure ??= error;
    stream.destroy(failure as Error);
  };

  // Loaded when first needed: execa takes a fifth of a second to import, as long as a small stream takes.
  let run: typeof Execa;
  const stream = new WritableStream({
    highWaterMark: 1 << 20,
    construct(callback) {
      import('execa').then((module) => {
        run = module.execa;
        // Stopped while loading (a layer failed at once): no compressor is left waiting for input.
        if (abandoned === undefined && failure === undefined) member = startMember();
        callback();
      }, callback);
    },
    write(chunk: Buffer, _encoding, callback) {
      // An empty chunk is copyCompressed's barrier: its callback runs once every earlier chunk is in stdin.
      if (chunk.length === 0) return callback();
      if (member === undefined) return callback(new Error('compressInMembers: written to while a blob was copied in'));
      const { stdin } = member;
      // A compressor gone (its stdin closed) fails its member: what is written meanwhile is dropped.
      if (stdin.destroyed || stdin.writableEnded || stdin.write(chunk)) return callback();
      whenWritable(stdin).then(() => callback());
    },
    final(callback) {
      const last = member;
      if (last === undefined) return callback(failure as Error ?? new Error('compressInMembers: ended while a blob was copied in'));
      last.stdin.end();
      last.closed
        .then(async () => {
          if (!options.end) return;
          sink.end();
          await finished(sink);
        })
        .then(() => callback(), (error: unknown) => callback(failure as Error ?? error));
    },
  });
  // Always listened to: between members no pipe watches the sink.
  sink.on('error', (error) => fail(outputError(error, options.where)));

  function startMember(): Member {
    const child = run(command, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true } });
    // A compressor that dies stops reading: its exit status says why, not the EPIPE.
    child.stdin!.on('error', () => undefined);
    const delivered = copyInto(child.stdout!, sink, stopper);
    const exited = child.then(() => undefined, (error: unknown) => {
      throw new UserError('compressor-failed', `${command} failed: ${(error as { shortMessage?: string }).shortMessage ?? String(error)} (is ${command} installed and on PATH?)`, { cause: error });
    });
    const closed = Promise.allSettled([delivered, exited]).then((results) => {
      if (failure !== undefined) throw failure;
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    });
    closed.catch(fail);
    return { stdin: child.stdin!, closed, kill: () => child.kill() };
  }

  const members: CompressedMembers = {
    compression: compressor.compression,
    async copyCompressed(blob) {
      await new Promise<void>((resolve, reject) => stream.write(EMPTY, (error) => (error ? reject(error) : resolve())));
      const ending = member!;
      member = undefined;
      ending.stdin.end();
      await ending.closed;
      await copyInto(blob, sink, stopper);
      const stop = stopper();
      if (stop !== undefined) throw stop;
      member = startMember();
    },
  };

  return {
    stream,
    members,
    done: finished(stream).then(() => {
      if (failure !== undefined) throw failure;
    }, (error: unknown) => {
      throw failure ?? error;
    }),
    stop: () => {
      abandoned ??= new Error('compressInMembers: stopped');
      member?.kill();
    },
  };
}

/** Writes `source` into `sink` with backpressure, leaving it open; stops at the first failure `failed` reports. */
async function copyInto(source: AsyncIterable<Buffer> | Readable, sink: Writable, failed: () => unknown): Promise<void> {
  for await (const chunk of source) {
    const stop = failed();
    if (stop !== undefined) throw stop;
    if (!sink.write(chunk)) await whenWritable(sink);
  }
}
