// Artifacts that refer to an image (image-spec 1.1 "guidelines for artifact usage"): an image
// manifest whose `artifactType` says what it holds, whose config is the empty descriptor (the
// two bytes `{}`), whose one layer is the document, and whose `subject` is the image manifest.
// Registries with the referrers API index them by `subject`; for those without it (distribution
// 2.8), the referrers tag schema of distribution-spec 1.1: an image index tagged
// `sha256-<hex of the subject digest>` listing each referrer's descriptor. Pure data here; the
// registry sink (sinks/registry-referrers.ts) and the OCI layout (sinks/oci-layout.ts) write it.
import { sha256Digest, hexOf, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { createdOf } from './annotations.ts';
import { canonicalJsonBytes, type CanonicalValue } from '../json/canonical.ts';
import type { BlobDescriptor } from './manifest.ts';
import { MEDIA_TYPES } from './media-types.ts';

/** The empty JSON object, the config of an artifact without one. */
export const EMPTY_BLOB = Buffer.from('{}');
export const EMPTY_DESCRIPTOR: BlobDescriptor = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: sha256Digest(EMPTY_BLOB),
  size: EMPTY_BLOB.length,
};

/** The annotation of an OCI layout's image entry in index.json naming its referrers list (sinks/oci-layout.ts). */
export const REFERRERS_ANNOTATION = 'org.nix-strata.referrers';

/** A manifest descriptor, as `subject` and index entries name one. */
export type ManifestDescriptor = {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
};

/** One document to attach: its media type (also the artifactType), its bytes and file name. */
export interface ArtifactDocument {
  readonly mediaType: string;
  readonly bytes: Buffer;
  /** `org.opencontainers.image.title` of the layer, the name `oras pull` gives the file. */
  readonly title: string;
}

/** An artifact manifest with its exact bytes, digest and the blob it names. */
export interface ArtifactManifest {
  readonly raw: Buffer;
  readonly digest: Digest;
  readonly artifactType: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly document: ArtifactDocument;
  /** The document blob's descriptor (the manifest's one layer). */
  readonly layer: BlobDescriptor;
  /** The descriptor of this manifest in a referrers list (with artifactType and annotations, as the tag schema asks). */
  readonly descriptor: ManifestDescriptor & { readonly artifactType: string; readonly annotations: Readonly<Record<string, string>> };
}

/**
 * The artifact manifest of `document` referring to `subject`; canonical JSON, so the same
 * document and image give the same digest on every push and in every layout.
 * `created` is the image's creation date (the SBOM's own), as `org.opencontainers.image.created`.
 */
export function artifactManifest(document: ArtifactDocument, subject: ManifestDescriptor, created: string | undefined): ArtifactManifest {
  const annotations: Record<string, string> = created === undefined ? {} : { 'org.opencontainers.image.created': created };
  const layer = {
    mediaType: document.mediaType,
    digest: sha256Digest(document.bytes),
    size: document.bytes.length,
    annotations: { 'org.opencontainers.image.title': document.title },
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: document.mediaType,
    config: { ...EMPTY_DESCRIPTOR },
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(created === undefined ? {} : { annotations }),
  };
  const raw = canonicalJsonBytes(manifest);
  const digest = sha256Digest(raw);
  return {
    raw,
    digest,
    artifactType: document.mediaType,
    annotations,
    document,
    layer,
    descriptor: { mediaType: MEDIA_TYPES.ociManifest, digest, size: raw.length, artifactType: document.mediaType, annotations },
  };
}

/** One artifact manifest per document, all referring to `subject`, dated from the image config's `created`. */
export function artifactManifests(documents: readonly ArtifactDocument[], subject: ManifestDescriptor, rawConfig: Buffer): ArtifactManifest[] {
  const created = createdOf(rawConfig);
  return documents.map((document) => artifactManifest(document, subject, created));
}

/** The referrers tag schema's tag for a subject: `<alg>-<ref>`, the digest's hex (64 characters for sha256). */
export function referrersTag(subject: Digest): string {
  return `sha256-${hexOf(subject)}`;
}

/** A referrers list with its bytes; `changed` is false when every descriptor was there already. */
export interface ReferrersIndex {
  readonly raw: Buffer;
  readonly digest: Digest;
  readonly changed: boolean;
}

/**
 * The referrers list with `referrers` added: to `current` (the index the tag names now, other
 * tools' entries kept as they are), or to a new empty index. A descriptor whose digest is
 * listed already is not added again, so a second push leaves the list as it was.
 * `where` names the tag in the error for something that is not an image index.
 */
export function addReferrers(current: Buffer | undefined, referrers: readonly ArtifactManifest[], where: string): ReferrersIndex {
  const index = current === undefined ? emptyIndex() : parseIndex(current, where);
  const manifests = [...index.manifests];
  const listed = new Set(manifests.map((entry) => (entry as { digest?: unknown }).digest));
  let changed = current === undefined;
  for (const referrer of referrers) {
    if (listed.has(referrer.digest)) continue;
    listed.add(referrer.digest);
    manifests.push(referrer.descriptor);
    changed = true;
  }
  const raw = canonicalJsonBytes({ ...index, manifests } as CanonicalValue);
  return { raw, digest: sha256Digest(raw), changed };
}

type Index = { readonly [key: string]: CanonicalValue; readonly manifests: readonly CanonicalValue[] };

function emptyIndex(): Index {
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
}

function parseIndex(bytes: Buffer, where: string): Index {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    value = undefined;
  }
  const index = value as { mediaType?: unknown; manifests?: unknown } | undefined;
  if (typeof index !== 'object' || index === null || index.mediaType !== MEDIA_TYPES.ociIndex || !Array.isArray(index.manifests)) {
    throw new UserError('not-a-referrers-index', `${where}: holds something other than an OCI image index, so it is not a referrers list (distribution-spec referrers tag schema); delete that tag and push again`);
  }
  return index as unknown as Index;
}
