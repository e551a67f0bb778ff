// `nix-strata pull`: pullImage into a temporary blob directory, then a docker-archive file,
// the output pullImage's fixed-output derivation hashes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDigest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { writeOutput } from '../sinks/output.ts';
import { nameAsWritten, pullImage, type PullImageOptions, type PulledImage } from '../sources/registry.ts';
import { checkRepoTag, parseReference } from '../registry/reference.ts';

/** Options of pullToDockerArchive: those of pullImage, plus where the archive goes and its name. */
export interface PullToArchiveOptions extends Omit<PullImageOptions, 'blobDir' | 'log'> {
  readonly output: string;
  /** RepoTags name; defaults to the reference's name as written (nixpkgs' finalImageName). */
  readonly finalName?: string;
  /** RepoTags tag; defaults to `latest` (nixpkgs' finalImageTag). */
  readonly finalTag?: string;
  /** Member mtime of the archive's own members (Unix seconds). */
  readonly mtime?: number;
  readonly log: Logger;
}

/** The `name:tag` the archive records (checked): nixpkgs' finalImageName (default: the reference's name as written) and finalImageTag (default `latest`). */
export function recordedRepoTag(options: Pick<PullToArchiveOptions, 'reference' | 'finalName' | 'finalTag'>): string {
  return checkRepoTag(`${options.finalName ?? nameAsWritten(options.reference)}:${options.finalTag ?? 'latest'}`, 'the recorded name:tag (--final-name, --final-tag)');
}

/** Pulls `reference` by digest and writes it as an uncompressed docker-archive at `output`. */
export async function pullToDockerArchive(options: PullToArchiveOptions): Promise<PulledImage> {
  const { output: path, finalName, finalTag, mtime, log, ...pull } = options;
  // Checked before any request: the digest pins what is pulled, the name:tag must load.
  const inReference = parseReference(options.reference).digest;
  const digest = options.digest === undefined ? inReference : parseDigest(options.digest, '--digest');
  if (digest === undefined) {
    throw new UserError('no-digest', `image reference ${JSON.stringify(options.reference)}: no digest to pull by; append @sha256:<hex> to it or pass --digest sha256:<hex>`);
  }
  if (inReference !== undefined && inReference !== digest) {
    throw new UserError('digest-conflict', `image reference ${JSON.stringify(options.reference)} names ${inReference} but --digest is ${digest}; give one digest`);
  }
  const repoTag = recordedRepoTag({ reference: options.reference, finalName, finalTag });
  const blobDir = await mkdtemp(join(tmpdir(), 'nix-strata-pull-'));
  const guard = removeOnInterrupt(blobDir);
  try {
    // The output is opened first, so a missing directory or a read-only file system is reported
    // before anything is downloaded.
    return await writeOutput({ path, compressor: 'none' }, async (stream) => {
      const image = await pullImage({ ...pull, digest, blobDir, log });
      await writeDockerArchive(image, stream, { repoTags: [repoTag], mtime: mtime ?? 1, log });
      return image;
    });
  } finally {
    await rm(blobDir, { recursive: true, force: true });
    guard.release();
  }
}
