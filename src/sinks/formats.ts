// The sinks `nix-strata stream --format` can write. Adding one is a file in sinks/ that
// exports a StreamSink, plus its line in SINKS.
import type { Writable } from 'node:stream';
import { UserError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { BlobCompression } from '../compression/compress.ts';
import type { CompressedMembers } from './compressed-members.ts';
import { writeDockerArchive } from './docker-archive.ts';
import { writeOciArchive } from './oci-archive.ts';

/** Where a sink writes an image, and the destination details that are not the image's. */
export interface SinkTarget {
  /** The opened output (stdout, a pipe or a file, maybe through a compressor). */
  readonly output: Writable;
  /** `name:tag` references to record. */
  readonly repoTags: readonly string[];
  /** mtime (Unix seconds) of anything the sink itself creates. */
  readonly mtime: number;
  readonly log: Logger;
  /** How sinks that store layer blobs compress them (oci-archive); docker-archive layers are plain tar. */
  readonly layerCompression: BlobCompression;
  /** Present when `output` is compressed in members (docker-archive --compressor gz|zstd): stored layer blobs are copied in. */
  readonly compressed?: CompressedMembers | undefined;
}

/** Writes `image` to `target.output`. */
export type StreamSink = (image: Image, target: SinkTarget) => Promise<void>;

/** Sinks by `--format` name. */
export const SINKS = {
  'docker-archive': (image, { output, repoTags, mtime, log, compressed }) => writeDockerArchive(image, output, { repoTags, mtime, log, compressed }),
  'oci-archive': async (image, { output, repoTags, mtime, log, layerCompression }) => {
    await writeOciArchive(image, output, { reference: repoTags[0]!, compression: layerCompression, mtime, log });
  },
} as const satisfies Record<string, StreamSink>;

/** A `--format` name. */
export type SinkFormat = keyof typeof SINKS;

/** The known format names, for help texts. */
export const SINK_FORMATS = Object.keys(SINKS) as SinkFormat[];

/** Formats written as a directory (`--output DIR`) rather than a stream: the OCI image layout. */
export const DIRECTORY_FORMATS = ['oci'] as const;
export type DirectoryFormat = (typeof DIRECTORY_FORMATS)[number];

/** Every `--format` name. */
export const STREAM_FORMATS: readonly (SinkFormat | DirectoryFormat)[] = [...SINK_FORMATS, ...DIRECTORY_FORMATS];

/** Checks a `--format` value; an unknown one is a UserError listing the known ones. */
export function parseSinkFormat(value: string): SinkFormat | DirectoryFormat {
  if ((STREAM_FORMATS as readonly string[]).includes(value)) return value as SinkFormat | DirectoryFormat;
  throw new UserError('unknown-format', `--format ${JSON.stringify(value)}: unknown output format; known: ${STREAM_FORMATS.join(', ')}`);
}
