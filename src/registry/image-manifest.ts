// The image manifest a push PUTs, from the descriptors the push settled on (a reused remote
// layer's among them). Made by the image model's manifestFor, so the same descriptors give the
// same bytes and digest in a pushed image and in an OCI layout.
import type { Digest } from '../digest/digest.ts';
import { manifestFor, type BlobDescriptor } from '../image/manifest.ts';
import { layerMediaTypeIfAny, SCHEMA_MEDIA_TYPES, type ManifestSchema } from '../image/media-types.ts';
import type { LayerCompression } from '../image/types.ts';
import type { BlobId } from './blob-upload.ts';

export type { BlobDescriptor } from '../image/manifest.ts';
export type { ManifestSchema } from '../image/media-types.ts';

/** The manifest's bytes, media type and digest. */
export interface BuiltManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

/** The media type of a layer blob compressed as `compression`, or undefined when the schema names none (bzip2, xz; zstd in Docker's). */
export function layerMediaType(schema: ManifestSchema, compression: LayerCompression): string | undefined {
  return layerMediaTypeIfAny(compression, schema);
}

/** The media type of the image config. */
export function configMediaType(schema: ManifestSchema): string {
  return SCHEMA_MEDIA_TYPES[schema].config;
}

/** Builds the manifest for a config and its layers, bottom to top. */
export function imageManifest(schema: ManifestSchema, config: BlobId, layers: readonly BlobDescriptor[], annotations?: Readonly<Record<string, string>>): BuiltManifest {
  const built = manifestFor(schema, { ...config, mediaType: configMediaType(schema) }, layers, annotations);
  return { bytes: built.raw, mediaType: built.manifest.mediaType, digest: built.digest };
}
