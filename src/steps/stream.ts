// `nix-strata stream`: reads a conf and writes the docker-archive, to stdout or a
// (compressed) file. One code path for streamLayeredImage's executable and for
// buildLayeredImage's archive derivation.
import { outputError, UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { writeOciArchive } from '../sinks/oci-archive.ts';
import { writeOciLayout } from '../sinks/oci-layout.ts';
import type { BlobCompression } from '../compression/compress.ts';
import { checkImageSource, openImage, type ImageSource } from './image-source.ts';
import { openOutput, type Compressor } from '../sinks/output.ts';
import { openPipeOutput, stdoutIsPipe } from '../hashing/pipe-output.ts';

/** What `stream` writes: a docker-archive, an oci-archive, or an OCI layout directory (`oci`, needs `output`). */
export type StreamFormat = 'docker-archive' | 'oci-archive' | 'oci';

export const STREAM_FORMATS: readonly StreamFormat[] = ['docker-archive', 'oci-archive', 'oci'];

export interface StreamOptions extends ImageSource {
  /** Default docker-archive. */
  format?: StreamFormat;
  /** A file to write (a directory for `oci`); stdout when absent. */
  output?: string;
  /** docker-archive: of the whole archive; oci formats: of each layer blob. */
  compressor: Compressor;
  log: Logger;
}

/** Writes the image a conf (or an archive) describes. A file output appears only when complete. */
export async function streamImage(options: StreamOptions): Promise<void> {
  const format = options.format ?? 'docker-archive';
  checkImageSource(options);
  if (format === 'oci' && options.output === undefined) {
    throw new UserError('oci-needs-output', 'stream --format oci writes a directory: give it with --output DIR');
  }
  if (options.output === undefined && (options.compressor === 'none' || format === 'oci-archive') && process.stdout.isTTY) {
    throw new UserError('stdout-is-terminal', 'refusing to write an image archive to a terminal; pipe it (| docker load) or pass --output FILE');
  }
  const { image, reference, mtime, hasher, close } = await openImage(options);
  try {
    if (format === 'oci') {
      // The Nix `oci` output: the layout, with the manifest digest in `digest` beside index.json.
      await writeOciLayout(image, options.output!, { ...ociNames(reference), compression: blobCompression(options.compressor), log: options.log, digestFile: true });
      return;
    }
    // An uncompressed stream to a pipe (`| docker load`) is written by a thread of its own.
    // An oci-archive's layers are compressed inside it; the archive itself never is.
    const outer = format === 'oci-archive' ? 'none' : options.compressor;
    const output = format === 'docker-archive' && options.output === undefined && outer === 'none' && stdoutIsPipe()
      ? openPipeOutput(hasher)
      : openOutput({ compressor: outer, ...(options.output === undefined ? {} : { path: options.output }) });
    try {
      if (format === 'oci-archive') {
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

/** The OCI names of `name:tag`: the tag alone is the ref.name annotation (`oci:DIR:TAG`). */
export function ociNames(reference: string): { tag: string; reference: string } {
  return { tag: reference.slice(reference.lastIndexOf(':') + 1), reference };
}

/** The CLI's compressor names (gz, zstd, none) as layer blob compressions. */
export function blobCompression(compressor: Compressor): BlobCompression {
  return compressor === 'gz' ? 'gzip' : compressor;
}
