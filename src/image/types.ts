// The values every source produces and every sink consumes (ggcr's v1.Layer and v1.Image).
// A sink never learns where a layer came from; a source never learns where it goes. What is
// derived from these (media types, descriptors, manifests, digests) is derived in image/
// (media-types.ts, manifest.ts), once, never stored beside them.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import type { JsonValue } from '../json/lossless.ts';

/** How a layer blob is stored. Docker-archive layers are usually plain tar. */
export type LayerCompression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/**
 * The role of a layer in a layered image (format.md §1.1). Every sink may use it: for its
 * progress lines (api.md §4.1), and the docker-archive sink for the customisation member's
 * header (format.md §1.2).
 */
export type LayerKind = 'base' | 'store' | 'customisation';

/** One filesystem layer: an (optionally compressed) tar blob with its identities. */
export interface Layer {
  /** Compression of the bytes `open()` returns; the media type follows from it (media-types.ts). */
  readonly compression: LayerCompression;
  /** Role in a layered image, when known. */
  readonly kind?: LayerKind;
  /** sha256 of the uncompressed tar: the image config's `rootfs.diff_ids` entry. */
  diffId(): Promise<Digest>;
  /** sha256 of the blob as `open()` returns it, as stored or pushed (equal to diffId when uncompressed). */
  digest(): Promise<Digest>;
  /** Byte length of the blob as `open()` returns it. */
  size(): Promise<number>;
  /** A fresh stream of the blob; every call yields the same bytes. */
  open(): Readable;
  /**
   * True when diffId and digest are computed by `open()` as it streams (store layers): asked for
   * before a stream, they cost a separate pass over the source. A sink that writes the layer
   * before the config asks afterwards (and, in a docker-archive, names the member without the digest).
   */
  readonly identityFromStream?: boolean;
  /** What the history entry names: store paths, a base member name, a customisation path. */
  readonly origin: readonly string[];
  /** A key that fixes the tar bytes without reading them (conf/content-key.ts), when known: an OCI manifest records it as a layer annotation. */
  readonly contentKey?: string;
  /** The same layer's blob already stored compressed (a buildLayer output): sinks that want this compression copy it instead of compressing. */
  readonly stored?: { readonly compression: 'gzip' | 'zstd' | 'none'; readonly digest: Digest; readonly size: number; open(): Readable };
}

/** An image: a configuration and its layers, bottom to top. */
export interface Image {
  readonly layers: readonly Layer[];
  /** The exact config bytes; the image ID (and the config descriptor's digest) is their sha256. */
  rawConfig(): Promise<Buffer>;
  /** The user's manifest annotations (image/annotations.ts), not in the config. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A base image as a source reads it (e.g. a `fromImage` docker-archive, sources/docker-archive.ts). */
export interface BaseImage {
  /** Base layers, bottom to top; each `origin` is its member name. */
  readonly layers: readonly Layer[];
  /** The base config's `rootfs.diff_ids`, trusted (format.md §6). */
  readonly diffIds: readonly Digest[];
  /** The whole base image configuration (only `config.Env` is used). */
  readonly config: JsonValue;
}
