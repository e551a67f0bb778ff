// What an Image's manifests are, derived from its layers and config (ggcr's `partial`): the
// descriptors, the manifest in either schema (OCI image manifest, Docker v2 schema 2), its
// canonical bytes and its digest. Each is computed once per image and schema, here only.
import { sha256Digest, type Digest } from '../digest/digest.ts';
import { canonicalJsonBytes } from '../json/canonical.ts';
import { manifestAnnotations } from './annotations.ts';
import { layerMediaType, SCHEMA_MEDIA_TYPES, type ManifestSchema } from './media-types.ts';
import type { Image, Layer } from './types.ts';
import { LAYER_KEY_ANNOTATION } from '../conf/content-key.ts';

/** A content descriptor: what a manifest says about one blob. */
export type BlobDescriptor = {
  readonly mediaType: string;
  readonly size: number;
  readonly digest: Digest;
  readonly annotations?: { readonly [key: string]: string };
};

/** An image manifest (both schemas have this shape; only the media types differ). */
// Type aliases, not interfaces: they are plain JSON data for canonicalJsonBytes.
export type ImageManifest = {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly config: BlobDescriptor;
  readonly layers: readonly BlobDescriptor[];
  /** OCI only (Docker schema 2 has no such field); absent when there are none. */
  readonly annotations?: Readonly<Record<string, string>>;
};

/** A manifest with its exact bytes and their digest. */
export interface DerivedManifest {
  readonly manifest: ImageManifest;
  /** Canonical JSON (RFC 8785, json/canonical.ts): the same image always gives the same bytes. */
  readonly raw: Buffer;
  readonly digest: Digest;
}

const derived = new WeakMap<Image, Map<ManifestSchema, Promise<DerivedManifest>>>();

/**
 * The manifest of `image` in `schema`, memoised per image. It needs every layer's digest and
 * size, so asking for it before a store layer has streamed costs a hashing pass: sinks that
 * stream layers first ask afterwards.
 */
export function manifestOf(image: Image, schema: ManifestSchema): Promise<DerivedManifest> {
  let bySchema = derived.get(image);
  if (!bySchema) derived.set(image, bySchema = new Map());
  let result = bySchema.get(schema);
  if (!result) {
    const map = bySchema;
    result = deriveManifest(image, schema);
    // A failure (an unreadable layer) is not remembered: the next ask tries again.
    result.catch(() => map.delete(schema));
    map.set(schema, result);
  }
  return result;
}

/** The manifest object. */
export async function imageManifest(image: Image, schema: ManifestSchema): Promise<ImageManifest> {
  return (await manifestOf(image, schema)).manifest;
}

/** The manifest digest (what `image@sha256:…` names). */
export async function manifestDigest(image: Image, schema: ManifestSchema): Promise<Digest> {
  return (await manifestOf(image, schema)).digest;
}

/** The config blob's descriptor. */
export async function configDescriptor(image: Image, schema: ManifestSchema): Promise<BlobDescriptor> {
  const config = await image.rawConfig();
  return { mediaType: SCHEMA_MEDIA_TYPES[schema].config, size: config.length, digest: sha256Digest(config) };
}

/** A layer blob's descriptor; `where` names the layer should its compression have no media type. */
export async function layerDescriptor(layer: Layer, schema: ManifestSchema, where: string): Promise<BlobDescriptor> {
  const mediaType = layerMediaType(layer.compression, schema, where);
  // The content key as the registry sink records it, so a layout and a push of one image share their manifest digest.
  const annotations = schema === 'oci' && layer.contentKey !== undefined ? { annotations: { [LAYER_KEY_ANNOTATION]: layer.contentKey } } : {};
  return { mediaType, size: await layer.size(), digest: await layer.digest(), ...annotations };
}

async function deriveManifest(image: Image, schema: ManifestSchema): Promise<DerivedManifest> {
  const layers: BlobDescriptor[] = [];
  // Sequential on purpose: a store layer's digest may walk the store.
  for (const [index, layer] of image.layers.entries()) {
    layers.push(await layerDescriptor(layer, schema, `layer ${index + 1} (${layer.origin.join(', ')})`));
  }
  const annotations = schema === 'oci' ? manifestAnnotations(image.annotations, await image.rawConfig()) : undefined;
  return manifestFor(schema, await configDescriptor(image, schema), layers, annotations);
}

/**
 * The manifest naming these descriptors: the one place a manifest object and its bytes are
 * made, for an Image here and for the descriptors a push settles on (sinks/registry.ts).
 * `annotations` are written in OCI manifests only: Docker schema 2 has no such field.
 */
export function manifestFor(schema: ManifestSchema, config: BlobDescriptor, layers: readonly BlobDescriptor[], annotations?: Readonly<Record<string, string>>): DerivedManifest {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: SCHEMA_MEDIA_TYPES[schema].manifest,
    config: descriptorOnly(config),
    layers: layers.map(descriptorOnly),
    ...(annotations === undefined || schema !== 'oci' ? {} : { annotations }),
  };
  const raw = canonicalJsonBytes(manifest);
  return { manifest, raw, digest: sha256Digest(raw) };
}

// Only a descriptor's own fields: callers may hand richer records (an upload's bookkeeping).
function descriptorOnly(descriptor: BlobDescriptor): BlobDescriptor {
  const { mediaType, size, digest, annotations } = descriptor;
  return { mediaType, size, digest, ...(annotations === undefined ? {} : { annotations }) };
}
