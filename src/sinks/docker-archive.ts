// Writes an Image as a docker-archive stream (format.md §1): layers, config, manifest.json,
// in the §3 tar dialect, with the progress lines of api.md §4.1 on the logger. What is
// docker-archive-specific lives here: member names and headers, and `manifest.json`.
import type { Writable } from 'node:stream';
import { hexOf } from '../digest/digest.ts';
import { imageId } from '../image/ids.ts';
import { UserError } from '../errors.ts';
import type { Image, Layer } from '../image/types.ts';
import { pythonJsonDumps, pythonListRepr } from '../json/python-compat.ts';
import type { Logger } from '../log.ts';
import { outputError } from '../errors.ts';
import { recycleChunk } from '../tar/generator-readable.ts';
import { encodeHeader, endOfArchive, paddingFor, type TarHeader } from '../tar/header.ts';
import { sourceMemberOf, type MemberHeader, type TarMember } from '../tar/member.ts';
import type { CompressedMembers } from './compressed-members.ts';
import { checkedStoredBlob, storedAs } from './stored-blob.ts';
import { whenWritable } from './when-writable.ts';

/**
 * The customisation layer's member header (format.md §1.2). 'store-file' is the project rule
 * (0444 root:root, the stat nixpkgs takes of the store file outside the sandbox); 'sandbox'
 * the same inside the Linux build sandbox (65534 nobody:nogroup); 'plain' the header of every
 * other member the builder creates (buildImage's archive, whose files all are 0644).
 */
export type CustomisationMember = 'store-file' | 'sandbox' | 'plain';

/** Options of writeDockerArchive. */
export interface DockerArchiveOptions {
  /** `name:tag` references to record (manifest.json RepoTags): the destination, not the image's. */
  readonly repoTags: readonly string[];
  /** mtime (Unix seconds) of every member header the builder creates (format.md §1.2). */
  readonly mtime: number;
  readonly log: Logger;
  /** Whether to end `output` when done (default true; false leaves e.g. a pipe open for more). */
  readonly end?: boolean;
  /** Default 'store-file'. */
  readonly customisationMember?: CustomisationMember;
  /** The output's compression, when `output` is compressed in members: a layer stored so is copied in, not compressed. */
  readonly compressed?: CompressedMembers | undefined;
}

/**
 * Streams `image` into `output` as an uncompressed docker-archive, honouring backpressure; with
 * `compressed`, a layer whose stored blob has the output's compression goes in as that blob.
 */
export async function writeDockerArchive(image: Image, output: Writable, options: DockerArchiveOptions): Promise<void> {
  const writer = new ArchiveWriter(output, options.compressed);
  try {
    const layerNames: string[] = [];
    if (!image.layers.some((layer) => layer.kind === 'base')) options.log.info("No 'fromImage' provided");
    for (const [index, layer] of image.layers.entries()) {
      const member = await archiveMember(layer, index + 1, options.customisationMember);
      options.log.info(progressLine(layer, index + 1, member.name));
      layerNames.push(member.name);
      await writer.layer(layer, member, options.mtime, (done, total) =>
        options.log.progress(`layer ${index + 1} of ${image.layers.length}: ${mebibytes(done)} of ${mebibytes(total)}`));
    }
    options.log.info('Adding manifests...');
    const config = await image.rawConfig();
    const configName = `${hexOf(imageId(config))}.json`;
    await writer.member(config, configName, options.mtime);
    await writer.member(archiveManifestBytes({ config: configName, repoTags: options.repoTags, layers: layerNames }), 'manifest.json', options.mtime);
    await writer.write(endOfArchive(writer.offset));
    if (options.end ?? true) await writer.end();
    options.log.info('Done.');
  } finally {
    writer.dispose();
  }
}

/** What one `manifest.json` entry names. */
export interface ArchiveManifestParts {
  /** The config member name, `<hex>.json`. */
  readonly config: string;
  readonly repoTags: readonly string[];
  /** Layer member names, bottom to top. */
  readonly layers: readonly string[];
}

/** The exact `manifest.json` bytes (format.md §2.2: keys Config, RepoTags, Layers; 4-space indent, no trailing newline). */
export function archiveManifestBytes(parts: ArchiveManifestParts): Buffer {
  const entry = { Config: parts.config, RepoTags: [...parts.repoTags], Layers: [...parts.layers] };
  return Buffer.from(pythonJsonDumps([entry]), 'utf8');
}

const CUSTOMISATION_HEADERS: Record<CustomisationMember, MemberHeader> = {
  'store-file': { mode: 0o444, uid: 0, gid: 0, uname: 'root', gname: 'root' },
  sandbox: { mode: 0o444, uid: 65534, gid: 65534, uname: 'nobody', gname: 'nogroup' },
  plain: {},
};

/**
 * The member a layer is written as, and the header fields that differ from a builder-created
 * member's (0644, 0:0, no owner names, the mtime argument). A layer read from a tar member (a
 * base layer) keeps that member. Others are named by their digest, as nixpkgs does; a digest
 * that only streaming computes is not there yet when the header is written, so such a layer is
 * named by its position in the image (distinct from base members, which keep their own names
 * at lower positions).
 */
export async function archiveMember(layer: Layer, position: number, customisation: CustomisationMember = 'store-file'): Promise<TarMember> {
  const kept = sourceMemberOf(layer);
  if (kept !== undefined) return kept;
  const name = layer.identityFromStream === true ? `layer-${position}/layer.tar` : `${hexOf(await layer.diffId())}/layer.tar`;
  return { name, header: layer.kind === 'customisation' ? CUSTOMISATION_HEADERS[customisation] : {} };
}

function progressLine(layer: Layer, number: number, name: string): string {
  if (layer.kind === 'base') return `Adding base layer ${number} from ${name}`;
  if (layer.kind === 'customisation') return `Creating layer ${number} with customisation...`;
  return `Creating layer ${number} from paths: ${pythonListRepr(layer.origin)}`;
}

const PROGRESS_STEP = 32 * 1024 * 1024;

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Default header of a member the builder creates: 0644, 0:0, no owner names (format.md §1.2). */
function defaultHeader(name: string, size: number, mtime: number): TarHeader {
  return { name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', size, mtime };
}

const READER_GONE = 'the reader of the image stream went away';

/** Writes to `output` with backpressure, turning a vanished reader into one UserError. */
class ArchiveWriter {
  offset = 0;
  private failure: Error | undefined;
  private ending = false;
  private readonly onError = (error: Error) => {
    this.failure ??= readerGone(error);
  };
  private readonly onClose = () => {
    if (!this.ending) this.failure ??= readerGone(undefined);
  };

  private readonly recycles: boolean;

  constructor(private readonly output: Writable, private readonly compressed: CompressedMembers | undefined) {
    this.recycles = output === process.stdout || (output as { copiesWrites?: boolean }).copiesWrites === true;
    output.on('error', this.onError);
    output.on('close', this.onClose);
  }

  /** One layer member; its size comes from `layer.size()` and is checked against the bytes streamed. */
  async layer(layer: Layer, member: TarMember, mtime: number, progress: (done: number, total: number) => void): Promise<void> {
    const { name } = member;
    const size = await layer.size();
    const header: TarHeader = { ...defaultHeader(name, size, mtime), ...member.header, name, size, type: 'file' };
    await this.write(encodeHeader(header));
    const stored = this.compressed === undefined ? undefined : storedAs(layer, this.compressed.compression);
    if (stored !== undefined) {
      // The member's content is the stored blob's tar: copied in compressed, as members of its own.
      try {
        await this.compressed!.copyCompressed(checkedStoredBlob(stored, `layer ${name} (from ${layer.origin.join(', ')})`));
      } catch (error) {
        throw this.failure ?? unreadableLayer(error, name, layer);
      }
      this.offset += size;
      progress(size, size);
      await this.write(paddingFor(size));
      return;
    }
    let streamed = 0;
    let reported = 0;
    const source = layer.open();
    try {
      for await (const chunk of source) {
        const bytes = chunk as Buffer;
        streamed += bytes.length;
        if (streamed > size) break;
        await this.write(bytes);
        if (streamed - reported >= PROGRESS_STEP || streamed === size) {
          reported = streamed;
          progress(streamed, size);
        }
        // Nothing pending on stdout means the write completed (a file or a pipe), as it does on an
        // output that copies what it is given: the chunk may be refilled.
        if (this.recycles && this.output.writableLength === 0) recycleChunk(source, bytes);
      }
    } catch (error) {
      throw this.failure ?? unreadableLayer(error, name, layer);
    } finally {
      source.destroy();
    }
    if (streamed !== size) {
      throw new Error(`layer ${name}: size() said ${size} bytes but open() gave ${streamed > size ? 'more' : streamed}`);
    }
    await this.write(paddingFor(size));
  }

  /** A member held in memory (config, manifest). */
  async member(bytes: Buffer, name: string, mtime: number): Promise<void> {
    await this.write(encodeHeader(defaultHeader(name, bytes.length, mtime)));
    await this.write(bytes);
    await this.write(paddingFor(bytes.length));
  }

  async write(bytes: Buffer): Promise<void> {
    this.check();
    if (bytes.length === 0) return;
    this.offset += bytes.length;
    if (this.output.write(bytes)) return;
    await whenWritable(this.output);
    this.check();
  }

  async end(): Promise<void> {
    this.check();
    this.ending = true;
    await new Promise<void>((resolve, reject) => {
      this.output.end((error?: Error | null) => (error ? reject(readerGone(error)) : resolve()));
    });
    if (this.failure) throw this.failure;
  }

  dispose(): void {
    this.output.off('error', this.onError);
    this.output.off('close', this.onClose);
    // Keep a late EPIPE from an already-abandoned output from crashing the process.
    this.output.on('error', ignoreLateError);
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.output.destroyed || this.output.writableEnded) throw readerGone(undefined);
  }
}

/** A system error from reading a layer's source (EISDIR, EIO, …), named after the layer; others pass. */
function unreadableLayer(error: unknown, name: string, layer: Layer): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof UserError || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new UserError('layer-unreadable', `cannot read layer ${name} (from ${layer.origin.join(', ')}): ${message}`, { cause: error });
}

/** The reader of the stream leaving (EPIPE, a closed stream) as one line; a failing destination (disk full) named as such. */
export function readerGone(cause: unknown): Error {
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  if (cause && code !== 'EPIPE' && code !== 'ERR_STREAM_DESTROYED' && code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ECONNRESET') {
    // Not the reader leaving but the destination failing (disk full, …): say that instead.
    return outputError(cause, 'the archive') as Error;
  }
  return new UserError('reader-gone', `${READER_GONE}; the archive is incomplete`, { cause });
}

/** Deliberately ignores errors on an output the writer has finished with (they were already reported). */
function ignoreLateError(_error: Error): void {
  // The writer has already thrown or finished; a second report would only duplicate it.
}
