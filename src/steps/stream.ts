// `nix-strata stream`: reads a conf (or a docker-archive) and writes the image in the chosen
// format (a docker-archive by default; sinks/formats.ts), to stdout or a (compressed) file, or
// as an OCI layout directory. One code path for streamLayeredImage's executable,
// buildLayeredImage's archive derivation and the `oci` passthru.
import type { BlobCompression } from '../compression/compress.ts';
import { UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { SINKS, type DirectoryFormat, type SinkFormat } from '../sinks/formats.ts';
import { writeOciLayout } from '../sinks/oci-layout.ts';
import { writeOutput, type Compressor } from '../sinks/output.ts';
import { openPipeOutput } from '../hashing/pipe-output.ts';
import { archiveCompressor, streamsToPipe } from './stream-threads.ts';
import { readSbomDocuments } from './sbom-documents.ts';
import { checkImageSource, openImage, type ImageSource } from './image-source.ts';

export interface StreamOptions extends ImageSource {
  /** The sink; default docker-archive. `oci` writes a directory and needs `output`. */
  format?: SinkFormat | DirectoryFormat;
  /** A file to write (a directory for `oci`); stdout when absent. */
  output?: string;
  /** docker-archive: of the whole archive; oci formats: of each layer blob. */
  compressor: Compressor;
  log: Logger;
  /** oci: the image's SBOM directory (passthru.sbom), stored in the layout as artifacts referring to the image. */
  sbomDir?: string;
}

/** Writes the image a conf (or an archive) describes. An output appears only when complete. */
export async function streamImage(options: StreamOptions): Promise<void> {
  const format = options.format ?? 'docker-archive';
  checkImageSource(options);
  if (format === 'oci' && options.output === undefined) {
    throw new UserError('oci-needs-output', 'stream --format oci writes a directory: give it with --output DIR');
  }
  // An oci-archive's layers are compressed inside it; the archive itself never is.
  const outer: Compressor = archiveCompressor(format, options.compressor);
  if (options.output === undefined && outer === 'none' && process.stdout.isTTY) {
    throw new UserError('stdout-is-terminal', 'refusing to write an image archive to a terminal; pipe it (| docker load) or pass --output FILE');
  }
  // An uncompressed docker-archive to a pipe (`| docker load`) is written by a thread of its own.
  const toPipe = streamsToPipe({ format, toFile: options.output !== undefined, outer });
  if (options.sbomDir !== undefined && format !== 'oci') {
    throw new UserError('sbom-needs-oci', `stream --sbom-dir: only an OCI layout (--format oci) holds the SBOM, not ${format}; drop --sbom-dir or use --format oci`);
  }
  const referrers = options.sbomDir === undefined ? undefined : await readSbomDocuments(options.sbomDir, '--sbom-dir');
  const { image, reference, mtime, hasher, close } = await openImage(options, toPipe);
  try {
    if (format === 'oci') {
      // The Nix `oci` output: the layout, with the manifest digest in `digest` beside index.json.
      await writeOciLayout(image, options.output!, { reference, compression: blobCompression(options.compressor), log: options.log, digestFile: true, ...(referrers === undefined ? {} : { referrers }) });
      return;
    }
    const sink = SINKS[format];
    await writeOutput({ path: options.output, compressor: outer, ...(toPipe ? { open: () => openPipeOutput(hasher) } : {}) },
      (stream, compressed) => sink(image, { output: stream, repoTags: [reference], mtime, log: options.log, layerCompression: blobCompression(options.compressor), compressed }));
  } finally {
    // Stops the hashing thread.
    await close();
  }
}

/** The CLI's compressor names (gz, zstd, none) as layer blob compressions. */
export function blobCompression(compressor: Compressor): BlobCompression {
  return compressor === 'gz' ? 'gzip' : compressor;
}
