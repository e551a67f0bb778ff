// `nix-strata stream`: reads a conf and writes the docker-archive, to stdout or a
// (compressed) file. One code path for streamLayeredImage's executable and for
// buildLayeredImage's archive derivation.
import { readConf, type Conf } from '../conf/conf.ts';
import { outputError, UserError } from '../errors.ts';
import { assembleImage } from '../image/assemble.ts';
import { currentInstant, resolveCreated, resolveMtime } from '../image/date.ts';
import type { Image } from '../image/types.ts';
import type { JsonValue } from '../json/lossless.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { writeOciArchive } from '../sinks/oci-archive.ts';
import { writeOciLayout } from '../sinks/oci-layout.ts';
import type { BlobCompression } from '../compression/compress.ts';
import { writeOutputFile } from '../sinks/output-target.ts';
import { openOutput, type Compressor } from '../sinks/output.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';
import { storePathsLayer } from '../sources/store-paths.ts';
import { tarballLayer } from '../sources/tarball-layer.ts';
import { openPipeOutput, stdoutIsPipe } from '../hashing/pipe-output.ts';
import { VerifyHasher } from '../hashing/verify-hasher.ts';
import { buildCores } from '../hashing/build-cores.ts';

/** What `stream` writes: a docker-archive, an oci-archive, or an OCI layout directory (`oci`, needs `output`). */
export type StreamFormat = 'docker-archive' | 'oci-archive' | 'oci';

export const STREAM_FORMATS: readonly StreamFormat[] = ['docker-archive', 'oci-archive', 'oci'];

export interface StreamOptions {
  confPath: string;
  /** Default docker-archive. */
  format?: StreamFormat;
  /** Replaces the conf's `name:tag` (nixpkgs' `--repo_tag`). */
  repoTag?: string;
  /** A file to write (a directory for `oci`); stdout when absent. */
  output?: string;
  /** docker-archive: of the whole archive; oci formats: of each layer blob. */
  compressor: Compressor;
  log: Logger;
}

/** Writes the image a conf describes. A file output appears only when complete. */
export async function streamImage(options: StreamOptions): Promise<void> {
  const conf = await readConf(options.confPath);
  const format = options.format ?? 'docker-archive';
  if (format === 'oci') return writeLayoutFromConf(conf, options);
  if (options.output === undefined && (options.compressor === 'none' || format === 'oci-archive') && process.stdout.isTTY) {
    throw new UserError('stdout-is-terminal', 'refusing to write an image archive to a terminal; pipe it (| docker load) or pass --output FILE');
  }
  const { image, mtime, hasher, close } = await imageFromConf(conf, options.repoTag);
  try {
    // An uncompressed stream to a pipe (`| docker load`) is written by a thread of its own.
    // An oci-archive's layers are compressed inside it; the archive itself never is.
    const outer = format === 'oci-archive' ? 'none' : options.compressor;
    const output = format === 'docker-archive' && options.output === undefined && outer === 'none' && stdoutIsPipe()
      ? openPipeOutput(hasher)
      : openOutput({ compressor: outer, ...(options.output === undefined ? {} : { path: options.output }) });
    try {
      if (format === 'oci-archive') {
        const reference = image.repoTags[0] ?? conf.repoTag;
        await writeOciArchive(image, output.stream, { ...ociNames(reference), compression: blobCompression(options.compressor), mtime, log: options.log });
      } else {
        await writeDockerArchive(image, output.stream, { mtime, log: options.log });
      }
      await output.finish();
    } catch (error) {
      await output.abort();
      // The archive writer only knows "the archive"; name the file the user asked for.
      if (options.output !== undefined && error instanceof UserError && error.code === 'disk-full') {
        throw outputError(error.cause, options.output);
      }
      throw error;
    }
  } finally {
    // Stops the hashing thread.
    await close();
  }
}

// `oci`: a layout directory with the manifest digest in `digest` beside index.json (the Nix `oci` output).
async function writeLayoutFromConf(conf: Conf, options: StreamOptions): Promise<void> {
  if (options.output === undefined) throw new UserError('oci-needs-output', 'stream --format oci writes a directory: give it with --output DIR');
  const { image, close } = await imageFromConf(conf, options.repoTag);
  try {
    const digest = await writeOciLayout(image, options.output, { ...ociNames(options.repoTag ?? conf.repoTag), compression: blobCompression(options.compressor), log: options.log });
    writeOutputFile(`${options.output}/digest`, `${digest}\n`);
  } finally {
    await close();
  }
}

/** The OCI names of `name:tag`: the tag alone is the ref.name annotation (`oci:DIR:TAG`). */
function ociNames(reference: string): { tag: string; reference: string } {
  return { tag: reference.slice(reference.lastIndexOf(':') + 1), reference };
}

/** The CLI's compressor names (gz, zstd, none) as layer blob compressions. */
export function blobCompression(compressor: Compressor): BlobCompression {
  return compressor === 'gz' ? 'gzip' : compressor;
}

/** The Image a conf describes; "now" in `created`/`mtime` resolves to one instant here. */
export async function imageFromConf(conf: Conf, repoTag?: string): Promise<{ image: Image; mtime: number; hasher: VerifyHasher | undefined; close: () => Promise<void> }> {
  const now = currentInstant();
  const mtime = resolveMtime(conf.mtime, now);
  const baseImage = conf.fromImage === null ? undefined : await readDockerArchive(conf.fromImage);
  // Each store layer is sized from lstat and hashed as it streams (the config, which needs the
  // digests, is written last). With two cores or more, the hashing runs on its own thread.
  const verifier = buildCores() > 1 ? new VerifyHasher() : undefined;
  const storeLayers = conf.storeLayers.map((layer) =>
    storePathsLayer(layer.paths, { ...conf.owner, mtime, ...(verifier === undefined ? {} : { verifier }) }),
  );

  const image = assembleImage({
    baseImage,
    storeLayers,
    customisationLayer: await tarballLayer(conf.customisationLayer),
    architecture: conf.architecture,
    config: conf.config as JsonValue,
    created: resolveCreated(conf.created, now),
    repoTag: repoTag ?? conf.repoTag,
  });
  // close() also removes the base's uncompressed copy, if streaming made one (a process 'exit' hook is the safety net).
  return { image, mtime, hasher: verifier, close: async () => { await Promise.all([verifier?.close(), baseImage?.dispose()]); } };
}
