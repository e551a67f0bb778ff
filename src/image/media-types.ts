// The media types of format.md §8, and the one mapping between a layer's compression and its
// media type (both directions, both schemas): registry manifests, OCI layouts and the pull
// source all go through here.
import { UserError } from '../errors.ts';
import type { LayerCompression } from './types.ts';

/** The two manifest schemas an image can be described in. */
export type ManifestSchema = 'oci' | 'docker';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Manifest and config media types of each schema. */
export const SCHEMA_MEDIA_TYPES: Record<ManifestSchema, { readonly manifest: string; readonly config: string }> = {
  oci: { manifest: MEDIA_TYPES.ociManifest, config: MEDIA_TYPES.ociConfig },
  docker: { manifest: MEDIA_TYPES.dockerManifest, config: MEDIA_TYPES.dockerConfig },
};

// Layer media types by compression. Docker schema 2 names no zstd type, and neither schema
// names bzip2 or xz (a docker-archive base may hold such members): those have none.
const LAYER_MEDIA_TYPES: Record<ManifestSchema, Partial<Record<LayerCompression, string>>> = {
  oci: {
    none: 'application/vnd.oci.image.layer.v1.tar',
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  },
  docker: {
    none: 'application/vnd.docker.image.rootfs.diff.tar',
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
};

// Types a registry may serve that are read like one of the above (deprecated non-distributable
// and foreign layers are still plain gzip tars).
const READ_ALSO: Readonly<Record<string, LayerCompression>> = {
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/** The media type of a layer blob with this compression in `schema`, or undefined when the schema names none. */
export function layerMediaTypeIfAny(compression: LayerCompression, schema: ManifestSchema): string | undefined {
  return LAYER_MEDIA_TYPES[schema][compression];
}

/** The media type of a layer blob with this compression in `schema`; a UserError when the schema has none. */
export function layerMediaType(compression: LayerCompression, schema: ManifestSchema, where: string): string {
  const type = layerMediaTypeIfAny(compression, schema);
  if (type === undefined) {
    const known = Object.keys(LAYER_MEDIA_TYPES[schema]).join(', ');
    throw new UserError('no-media-type', `${where}: a ${compression}-compressed layer has no ${schema === 'oci' ? 'OCI' : 'Docker schema 2'} media type (only ${known} layers do); use an uncompressed or gzip base layer`);
  }
  return type;
}

/** How a layer blob of this media type is compressed; unknown types are a UserError. */
export function layerCompression(mediaType: string, where: string): LayerCompression {
  for (const types of Object.values(LAYER_MEDIA_TYPES)) {
    for (const [compression, type] of Object.entries(types)) {
      if (type === mediaType) return compression as LayerCompression;
    }
  }
  const also = READ_ALSO[mediaType];
  if (also !== undefined) return also;
  throw new UserError('bad-manifest', `${where}: unsupported layer media type ${JSON.stringify(mediaType)}; this is not a container image (maybe an artifact or a Helm chart)`);
}
