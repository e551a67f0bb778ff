// Which compressed blob a plain tar layer became: diff_id → {digest, size} per compressor, one
// small file each under $XDG_CACHE_HOME/nix-strata/blob-info (like skopeo's blob-info cache).
// It lets a push that was cut off (a registry killed mid-push) ask the registry for a layer's
// blob before compressing it again, so the next push sends only what is missing. An entry is
// a hint: a blob is reused only when the registry has it, and a wrong entry costs one HEAD.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hexOf, parseDigest, type Digest } from '../digest/digest.ts';
import type { BlobId } from './blob-upload.ts';

/** The cache directory for this environment. */
export function defaultBlobInfoDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'nix-strata', 'blob-info');
}

/** A diff_id → compressed blob map on disk; every failure to read or write it only loses the hint. */
export class BlobInfoCache {
  private empty: Promise<boolean> | undefined;

  /** `dir` undefined: a cache that remembers nothing. `onError` hears of a failed write. */
  constructor(private readonly dir: string | undefined, private readonly onError: (message: string) => void = () => undefined) {}

  /** Whether nothing is cached, so looking up (which may cost a pass over a layer for its diff_id) is pointless. */
  isEmpty(): Promise<boolean> {
    this.empty ??= this.dir === undefined
      ? Promise.resolve(true)
      : readdir(this.dir).then((names) => names.length === 0, (error: unknown) => {
        if ((error as { code?: unknown }).code !== 'ENOENT') this.onError(`cannot read the blob-info cache ${this.dir}: ${String((error as { code?: unknown }).code ?? error)}`);
        return true;
      });
    return this.empty;
  }

  /** The blob `diffId` became with `compressor`, if known. */
  async get(diffId: Digest, compressor: string): Promise<BlobId | undefined> {
    if (this.dir === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(this.path(diffId, compressor), 'utf8');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') this.onError(`cannot read the blob-info cache ${this.dir}: ${String((error as { code?: unknown }).code ?? error)}`);
      return undefined;
    }
    try {
      const json = JSON.parse(text) as { digest?: unknown; size?: unknown };
      const size = json.size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
      return { digest: parseDigest(json.digest, 'blob-info cache entry'), size };
    } catch {
      // A damaged entry (a crash while writing is ruled out by the rename) is only a lost hint.
      return undefined;
    }
  }

  /** Records what `diffId` became (written under a temporary name, then renamed). */
  async set(diffId: Digest, compressor: string, blob: BlobId): Promise<void> {
    if (this.dir === undefined) return;
    const path = this.path(diffId, compressor);
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    let started = false;
    try {
      await mkdir(this.dir, { recursive: true });
      started = true;
      await writeFile(temporary, JSON.stringify({ digest: blob.digest, size: blob.size }));
      await rename(temporary, path);
    } catch (error) {
      if (started) await rm(temporary, { force: true });
      this.onError(`cannot write the blob-info cache ${this.dir} (${String((error as { code?: unknown }).code ?? error)}); a push cut off later sends its layers again`);
    }
  }

  private path(diffId: Digest, compressor: string): string {
    return join(this.dir!, `${hexOf(diffId)}.${compressor}`);
  }
}
