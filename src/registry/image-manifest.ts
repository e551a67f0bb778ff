// The image manifest a push PUTs (OCI image manifest v1 or Docker schema 2, format.md §8):
// canonical JSON (json/canonical.ts), so one image always gives one manifest digest.
import { sha256Digest, type Digest } from '../digest/digest.ts';
import { canonicalJsonBytes } from '../json/canonical.ts';
import type { LayerCompression } from '../image/types.ts';
import { MEDIA_TYPES } from './manifest.ts';
import type { BlobId } from './blob-upload.ts';

/** Which manifest format to write. */
export type ManifestSchema = 'oci' | 'docker';

/** A descriptor as a manifest lists it. */
export interface BlobDescriptor extends BlobId {
  readonly mediaType: string;
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
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    // Docker schema 2 has no zstd type; docker (23+) and containerd take OCI's in it.
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  },
};

/** The media type of a layer blob compressed as `compression`, or undefined when registries take no such layer (bzip2, xz). */
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
  const descriptor = (d: BlobDescriptor) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  const json = {
    schemaVersion: 2,
    mediaType,
    config: descriptor({ ...config, mediaType: configMediaType(schema) }),
    layers: layers.map(descriptor),
  };
  // The image model's canonical JSON: the manifest an OCI layout of this image holds has these bytes.
  const bytes = canonicalJsonBytes(json);
  return { bytes, mediaType, digest: sha256Digest(bytes) };
}
