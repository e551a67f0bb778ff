// The image manifest a push PUTs (OCI image manifest v1 or Docker schema 2, format.md §8), from
// the descriptors the push settled on (a reused remote layer's among them). Canonical JSON
// (RFC 8785: no whitespace, keys sorted), as the image model derives manifests, so the same
// descriptors give the same digest in a pushed image and in an OCI layout.
import { sha256Digest, type Digest } from '../digest/digest.ts';
import type { LayerCompression } from '../image/types.ts';
import { MEDIA_TYPES } from './manifest.ts';
import type { BlobId } from './blob-upload.ts';

/** Which manifest format to write. */
export type ManifestSchema = 'oci' | 'docker';

/** A descriptor as a manifest lists it. */
export interface BlobDescriptor extends BlobId {
  readonly mediaType: string;
  /** OCI descriptor annotations (e.g. a layer's content key, conf/content-key.ts). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The manifest's bytes, media type and digest. */
export interface BuiltManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

const CONFIG_TYPES: Record<ManifestSchema, string> = {
  oci: 'application/vnd.oci.image.config.v1+json',
  docker: 'application/vnd.docker.container.image.v1+json',
};

const LAYER_TYPES: Record<ManifestSchema, Partial<Record<LayerCompression, string>>> = {
  oci: {
    none: 'application/vnd.oci.image.layer.v1.tar',
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  },
  docker: {
    none: 'application/vnd.docker.image.rootfs.diff.tar',
    // Docker schema 2 names no zstd type (the image model has none either): zstd layers need 'oci'.
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
};

/** The media type of a layer blob compressed as `compression`, or undefined when the schema names none (bzip2, xz; zstd in Docker's). */
export function layerMediaType(schema: ManifestSchema, compression: LayerCompression): string | undefined {
  return LAYER_TYPES[schema][compression];
}

/** The media type of the image config. */
export function configMediaType(schema: ManifestSchema): string {
  return CONFIG_TYPES[schema];
}

/** Builds the manifest for a config and its layers, bottom to top. */
export function imageManifest(schema: ManifestSchema, config: BlobId, layers: readonly BlobDescriptor[]): BuiltManifest {
  const mediaType = schema === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  // Keys inserted in sorted order: JSON.stringify then writes RFC 8785's canonical text.
  const descriptor = (d: BlobDescriptor) => ({
    ...(d.annotations === undefined ? {} : { annotations: sortedKeys(d.annotations) }),
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
  });
  const json = {
    config: descriptor({ ...config, mediaType: configMediaType(schema) }),
    layers: layers.map(descriptor),
    mediaType,
    schemaVersion: 2,
  };
  const bytes = Buffer.from(JSON.stringify(json), 'utf8');
  return { bytes, mediaType, digest: sha256Digest(bytes) };
}

function sortedKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
