// The two values every source produces and every sink consumes.
// A sink never learns where a layer came from; a source never learns where it goes.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import type { TarHeader } from '../tar/header.ts';

/** How a layer blob is stored. Docker-archive layers are usually plain tar. */
export type LayerCompression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Where a layer sits in a layered image; sinks use it only for progress lines (api.md §4.1). */
export type LayerKind = 'base' | 'store' | 'customisation';

/** One filesystem layer: an (optionally compressed) tar blob with its identities. */
export interface Layer {
  /** Compression of the bytes `open()` returns. */
  readonly compression: LayerCompression;
  /** Role in a layered image, when known. */
  readonly kind?: LayerKind;
  /** sha256 of the uncompressed tar: the image config's `rootfs.diff_ids` entry. */
  diffId(): Promise<Digest>;
  /** sha256 of the blob as `open()` returns it (equal to diffId when uncompressed). */
  digest(): Promise<Digest>;
  /** Byte length of the blob as `open()` returns it. */
  size(): Promise<number>;
  /** A fresh stream of the blob; every call yields the same bytes. */
  open(): Readable;
  /**
   * True when diffId and digest are computed by `open()` as it streams (store layers): asked for
   * before a stream, they cost a separate pass over the source. A sink that writes the layer
   * before the config asks afterwards, and names the member without the digest.
   */
  readonly identityFromStream?: boolean;
  /** What the history entry names: store paths, a base member name, a customisation path. */
  readonly origin: readonly string[];
  /**
   * How a docker-archive should name and head this blob when it is not the default
   * (`<diffId hex>/layer.tar`, or `layer-<position>/layer.tar` when the digest comes from
   * the stream; 0644, 0:0): base layers keep their member, the customisation layer is
   * 0444 root-owned (format.md §1.2).
   */
  readonly archiveMember?: ArchiveMember;
}

/** Member name and header fields a docker-archive sink uses for a layer. */
export interface ArchiveMember {
  readonly name: string;
  readonly header?: Partial<Omit<TarHeader, 'name' | 'size' | 'type'>>;
}

/** An image: a configuration and its layers, bottom to top. */
export interface Image {
  readonly layers: readonly Layer[];
  /** The exact config bytes; the image ID is their sha256. */
  rawConfig(): Promise<Buffer>;
  /** `name:tag` references to record (docker-archive RepoTags). */
  readonly repoTags: readonly string[];
}
