// Writes an Image as an OCI image layout (image-spec image-layout.md): `oci-layout`, `index.json`
// naming the manifest by its tag, and `blobs/sha256/<hex>` for every layer, the config and the
// manifest. Layer blobs are compressed reproducibly (src/compression), so the manifest digest
// depends only on the image and nix-strata's version.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobCompression } from '../compression/compress.ts';
import { hexOf, sha256Digest, type Digest } from '../digest/digest.ts';
import { outputError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { layerBlob, OCI_LAYER_MEDIA_TYPE } from './layer-blobs.ts';
import { stageDirectory } from './staged-directory.ts';

/** Options of writeOciLayout. */
export interface OciLayoutOptions {
  /** The `org.opencontainers.image.ref.name` annotation: the tag (`skopeo copy oci:DIR:TAG`). */
  readonly tag: string;
  /** The full `name:tag`, also recorded as `io.containerd.image.name` for tools that import by name. */
  readonly reference: string;
  readonly compression: BlobCompression;
  readonly log: Logger;
  /** Also write the manifest digest (and a newline) to `digest` beside index.json (the Nix `oci` output). */
  readonly digestFile?: boolean;
}

/** A content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';

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

/** Writes the layout into the existing empty directory `dir`; returns the manifest's descriptor. */
export async function writeLayoutInto(image: Image, dir: string, options: OciLayoutOptions): Promise<Digest> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const layers: Descriptor[] = [];
  for (const [index, layer] of image.layers.entries()) {
    options.log.info(`Writing layer ${index + 1} of ${image.layers.length} (${options.compression})`);
    const blob = await layerBlob(layer, options.compression);
    const partial = join(blobs, `.layer-${index}.partial`);
    await pipeline(Readable.from(blob.chunks), createWriteStream(partial));
    const { digest, size } = blob.result();
    await rename(partial, join(blobs, hexOf(digest)));
    layers.push({ mediaType: OCI_LAYER_MEDIA_TYPE[options.compression], digest, size });
  }
  // The config holds the diff_ids, which streaming the layers has just computed.
  const config = await image.rawConfig();
  const configDescriptor = await putBlob(blobs, OCI_CONFIG_MEDIA_TYPE, config);
  const manifest = await putBlob(blobs, OCI_MANIFEST_MEDIA_TYPE, ociManifestBytes(configDescriptor, layers));
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      ...manifest,
      annotations: { 'io.containerd.image.name': options.reference, 'org.opencontainers.image.ref.name': options.tag },
    }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  options.log.info(`Manifest ${manifest.digest}`);
  return manifest.digest;
}

/** The OCI image manifest (image-spec manifest.md) as compact JSON in a fixed key order. */
export function ociManifestBytes(config: Descriptor, layers: readonly Descriptor[]): Buffer {
  const descriptor = (d: Descriptor) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: descriptor(config),
    layers: layers.map(descriptor),
  }));
}

async function putBlob(blobs: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  await writeFile(join(blobs, hexOf(digest)), bytes);
  return { mediaType, digest, size: bytes.length };
}
