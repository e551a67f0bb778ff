// Writes an Image as an OCI image layout (image-spec image-layout.md): `oci-layout`, `index.json`
// naming the manifest by its tag, and `blobs/sha256/<hex>` for every layer, the config and the
// manifest. Layer blobs are compressed reproducibly (src/compression), so the manifest digest
// depends only on the image and nix-strata's version. Given `referrers` (the SBOM), their
// artifact manifests (subject = the image manifest, image/referrers.ts), blobs and a referrers
// list (the index the referrers tag schema would tag) go into blobs/ too; index.json keeps its
// one entry, the image (skopeo's `oci:DIR` without a tag and buildImageIndex need exactly one),
// and names the referrers list by its `org.nix-strata.referrers` annotation.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobCompression } from '../compression/compress.ts';
import { hexOf, sha256Digest, type Digest } from '../digest/digest.ts';
import { outputError } from '../errors.ts';
import { manifestOf } from '../image/manifest.ts';
import { addReferrers, artifactManifests, EMPTY_BLOB, EMPTY_DESCRIPTOR, REFERRERS_ANNOTATION, type ArtifactDocument, type ManifestDescriptor } from '../image/referrers.ts';
import { MEDIA_TYPES } from '../image/media-types.ts';
import type { Image, Layer } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { layerBlob, storedLayer } from './layer-blobs.ts';
import { stageDirectory } from './staged-directory.ts';

/** Options of writeOciLayout. */
export interface OciLayoutOptions {
  /** The destination's `name:tag`: its tag is the `org.opencontainers.image.ref.name` annotation (`oci:DIR:TAG`), the whole is `io.containerd.image.name`. */
  readonly reference: string;
  readonly compression: BlobCompression;
  readonly log: Logger;
  /** Also write the manifest digest (and a newline) to `digest` beside index.json (the Nix `oci` output). */
  readonly digestFile?: boolean;
  /** Documents to store as OCI artifacts referring to the image (the SBOM). */
  readonly referrers?: readonly ArtifactDocument[];
}

/** Writes the layout at `path` (created, or an empty directory replaced) only when complete; returns the manifest digest. */
export async function writeOciLayout(image: Image, path: string, options: OciLayoutOptions): Promise<Digest> {
  const staged = stageDirectory(path);
  try {
    const digest = await writeLayoutInto(image, staged.path, options).catch((error: unknown) => { throw outputError(error, path); });
    if (options.digestFile === true) await writeFile(join(staged.path, 'digest'), `${digest}\n`).catch((error: unknown) => { throw outputError(error, path); });
    staged.finish();
    return digest;
  } catch (error) {
    staged.abort();
    throw error;
  }
}

/** Writes the layout into the existing empty directory `dir`; returns the manifest digest. */
export async function writeLayoutInto(image: Image, dir: string, options: OciLayoutOptions): Promise<Digest> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const stored: Layer[] = [];
  for (const [index, layer] of image.layers.entries()) {
    options.log.info(`Writing layer ${index + 1} of ${image.layers.length} (${options.compression})`);
    const blob = await layerBlob(layer, options.compression);
    const partial = join(blobs, `.layer-${index}.partial`);
    await pipeline(Readable.from(blob.chunks), createWriteStream(partial));
    const path = join(blobs, hexOf(blob.result().digest));
    await rename(partial, path);
    stored.push(storedLayer(layer, options.compression, blob.result(), path));
  }
  // The config holds the diff_ids, which streaming the layers has just computed.
  const config = await image.rawConfig();
  await writeFile(join(blobs, hexOf(sha256Digest(config))), config);
  const manifest = await manifestOf({ layers: stored, rawConfig: image.rawConfig.bind(image), ...(image.annotations === undefined ? {} : { annotations: image.annotations }) }, 'oci');
  await writeFile(join(blobs, hexOf(manifest.digest)), manifest.raw);
  const top = { mediaType: MEDIA_TYPES.ociManifest, digest: manifest.digest, size: manifest.raw.length };
  const referrers = options.referrers === undefined || options.referrers.length === 0 ? undefined : await writeReferrers(blobs, top, options.referrers, config);
  await writeLayoutTop(dir, top, options.reference, tagOf(options.reference), referrers === undefined ? {} : { [REFERRERS_ANNOTATION]: referrers });
  options.log.info(`Manifest ${manifest.digest}`);
  return manifest.digest;
}

// The artifact blobs and manifests, and the referrers list naming them; returns the list's digest.
async function writeReferrers(blobs: string, subject: ManifestDescriptor, documents: readonly ArtifactDocument[], rawConfig: Buffer): Promise<Digest> {
  const artifacts = artifactManifests(documents, subject, rawConfig);
  await writeFile(join(blobs, hexOf(EMPTY_DESCRIPTOR.digest)), EMPTY_BLOB);
  for (const artifact of artifacts) {
    await writeFile(join(blobs, hexOf(artifact.layer.digest)), artifact.document.bytes);
    await writeFile(join(blobs, hexOf(artifact.digest)), artifact.raw);
  }
  const list = addReferrers(undefined, artifacts, 'referrers list');
  await writeFile(join(blobs, hexOf(list.digest)), list.raw);
  return list.digest;
}

/**
 * A layout's `index.json`, naming its one top descriptor (an image manifest, or an image index)
 * under `reference` and `tag` (plus `annotations`), and its `oci-layout` marker.
 */
export async function writeLayoutTop(dir: string, top: { mediaType: string; digest: Digest; size: number }, reference: string, tag: string, annotations: Readonly<Record<string, string>> = {}): Promise<void> {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [{ ...top, annotations: { 'io.containerd.image.name': reference, 'org.opencontainers.image.ref.name': tag, ...annotations } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

/** The tag of `name:tag`. */
function tagOf(reference: string): string {
  return reference.slice(reference.lastIndexOf(':') + 1);
}
