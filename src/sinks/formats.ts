// The sinks `nix-strata stream --format` can write. Adding one is a file in sinks/ that
// exports a StreamSink, plus its line in SINKS.
import type { Writable } from 'node:stream';
import { UserError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from './docker-archive.ts';

/** Where a sink writes an image, and the destination details that are not the image's. */
export interface SinkTarget {
  /** The opened output (stdout, a pipe or a file, maybe through a compressor). */
  readonly output: Writable;
  /** `name:tag` references to record. */
  readonly repoTags: readonly string[];
  /** mtime (Unix seconds) of anything the sink itself creates. */
  readonly mtime: number;
  readonly log: Logger;
}

/** Writes `image` to `target.output`. */
export type StreamSink = (image: Image, target: SinkTarget) => Promise<void>;

/** Sinks by `--format` name. */
export const SINKS = {
  'docker-archive': (image, { output, ...options }) => writeDockerArchive(image, output, options),
} as const satisfies Record<string, StreamSink>;

/** A `--format` name. */
export type SinkFormat = keyof typeof SINKS;

/** The known format names, for help texts. */
export const SINK_FORMATS = Object.keys(SINKS) as SinkFormat[];

/** Checks a `--format` value; an unknown one is a UserError listing the known ones. */
export function parseSinkFormat(value: string): SinkFormat {
  if (Object.hasOwn(SINKS, value)) return value as SinkFormat;
  throw new UserError('unknown-format', `--format ${JSON.stringify(value)}: unknown output format; known: ${SINK_FORMATS.join(', ')}`);
}
