// The uncompressed copy of a compressed docker-archive, so that base layers can be read at
// their offsets: made the first time a layer is opened (decompressing once per process, not
// once per layer), kept in os.tmpdir() (the build directory in Nix builds) and removed by
// dispose(), on SIGINT/SIGTERM or at exit.
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { removeOnInterrupt } from '../cleanup.ts';
import { UserError } from '../errors.ts';
import { decompressedFile } from '../image/decompress.ts';
import type { LayerCompression } from '../image/types.ts';
import { notATar } from './docker-archive-index.ts';

/** One making of a PlainCopy, with what stops and removes it. */
interface CopyAttempt {
  readonly abort: AbortController;
  file?: Promise<string>;
  dir?: string;
  release?: () => void;
}

/**
 * The uncompressed copy of a compressed archive, made on first use: its member offsets are
 * those the index pass saw in the decompressed stream. Streamed to disk, so memory stays
 * bounded; removed by dispose(), on SIGINT/SIGTERM (removeOnInterrupt) and at process exit.
 */
export class PlainCopy {
  #current: CopyAttempt | undefined;
  readonly #removeAtExit = () => {
    if (this.#current?.dir !== undefined) rmSync(this.#current.dir, { recursive: true, force: true });
  };

  constructor(readonly path: string, readonly compression: LayerCompression, readonly tmpDir: string) {}

  /** The copy's path, decompressing the archive the first time. */
  file(): Promise<string> {
    let attempt = this.#current;
    if (!attempt) {
      attempt = { abort: new AbortController() };
      attempt.file = this.#make(attempt);
      this.#current = attempt;
    }
    return attempt.file!;
  }

  async #make(attempt: CopyAttempt): Promise<string> {
    const dir = await mkdtemp(join(this.tmpDir, 'nix-strata-base-'));
    attempt.dir = dir;
    attempt.release = removeOnInterrupt(dir).release;
    process.once('exit', this.#removeAtExit);
    const file = join(dir, 'archive.tar');
    try {
      await pipeline(decompressedFile(this.path, this.compression), createWriteStream(file), { signal: attempt.abort.signal });
    } catch (error) {
      if (this.#current === attempt) this.#current = undefined;
      await this.#remove(attempt);
      if (error instanceof UserError || attempt.abort.signal.aborted) throw error;
      throw notATar(this.path, error);
    }
    return file;
  }

  /** Removes the copy (stopping one being made); the next file() makes a new one. */
  async dispose(): Promise<void> {
    const attempt = this.#current;
    if (!attempt) return;
    this.#current = undefined;
    attempt.abort.abort();
    await attempt.file?.catch(() => undefined);
    await this.#remove(attempt);
  }

  async #remove(attempt: CopyAttempt): Promise<void> {
    const dir = attempt.dir;
    if (dir === undefined) return;
    attempt.dir = undefined;
    attempt.release?.();
    process.off('exit', this.#removeAtExit);
    await rm(dir, { recursive: true, force: true });
  }
}
