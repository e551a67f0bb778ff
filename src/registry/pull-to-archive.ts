// `nix-strata pull`: pullImage into a temporary blob directory, then a docker-archive file,
// the output pullImage's fixed-output derivation hashes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnInterrupt } from '../cleanup.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { openOutput } from '../sinks/output.ts';
import { nameAsWritten, pullImage, type PullImageOptions, type PulledImage } from '../sources/registry.ts';

/** Options of pullToDockerArchive: those of pullImage, plus where the archive goes and its name. */
export interface PullToArchiveOptions extends Omit<PullImageOptions, 'blobDir' | 'repoTag' | 'log'> {
  readonly output: string;
  /** RepoTags name; defaults to the reference's name as written (nixpkgs' finalImageName). */
  readonly finalName?: string;
  /** RepoTags tag; defaults to `latest` (nixpkgs' finalImageTag). */
  readonly finalTag?: string;
  /** Member mtime of the archive's own members (Unix seconds). */
  readonly mtime?: number;
  readonly log: Logger;
}

/** Pulls `reference` by digest and writes it as an uncompressed docker-archive at `output`. */
export async function pullToDockerArchive(options: PullToArchiveOptions): Promise<PulledImage> {
  const { output: path, finalName, finalTag, mtime, log, ...pull } = options;
  const blobDir = await mkdtemp(join(tmpdir(), 'nix-strata-pull-'));
  const guard = removeOnInterrupt(blobDir);
  try {
    const image = await pullImage({
      ...pull,
      blobDir,
      log,
      repoTag: `${finalName ?? nameAsWritten(options.reference)}:${finalTag ?? 'latest'}`,
    });
    const output = openOutput({ path, compressor: 'none' });
    try {
      await writeDockerArchive(image, output.stream, { mtime: mtime ?? 1, log });
      await output.finish();
    } catch (error) {
      await output.abort();
      throw error;
    }
    return image;
  } finally {
    await rm(blobDir, { recursive: true, force: true });
    guard.release();
  }
}
