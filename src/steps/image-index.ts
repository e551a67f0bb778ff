// `nix-strata image-index` and `nix-strata push-index`: buildImageIndex's `oci` and `push`.
// The index is made from the images' own OCI layouts (their `oci` outputs): each layout's
// manifest becomes a descriptor with the platform its config names, every blob is copied into
// one layout whose index.json names the index. The push sends each image's manifest by digest
// (layers and config first, as for any image), then the index under the tags.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../digest/digest.ts';
import { hexOf } from '../digest/digest.ts';
import { outputError, UserError } from '../errors.ts';
import { imageIndex, platformOfConfig, type IndexEntry } from '../image/index-manifest.ts';
import { layerCompression, MEDIA_TYPES } from '../image/media-types.ts';
import type { Logger } from '../log.ts';
import { parseDestination, pushImage, pushIndexManifest, type PushableImage } from '../sinks/registry.ts';
import { writeLayoutTop } from '../sinks/oci-layout.ts';
import { stageDirectory } from '../sinks/staged-directory.ts';
import { tagFromOutPath } from './conf.ts';
import { LAYER_KEY_ANNOTATION } from '../conf/content-key.ts';

interface Descriptor { readonly mediaType: string; readonly digest: Digest; readonly size: number; readonly annotations?: Record<string, string> }
interface LayoutIndex { readonly manifests: readonly Descriptor[] }

/** Options of writeImageIndex. */
export interface ImageIndexOptions {
  /** The images' OCI layouts, one image each. */
  readonly layouts: readonly string[];
  readonly output: string;
  /** The index's repository (imageName). */
  readonly name: string;
  /** The tag; default the hash part of `output` (as Nix computes imageTag). */
  readonly tag?: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
  readonly log: Logger;
}

/** Writes the index layout (with `digest` beside index.json) only when complete; returns the index digest. */
export async function writeImageIndex(options: ImageIndexOptions): Promise<Digest> {
  const tag = options.tag ?? tagFromOutPath(options.output);
  const reference = `${options.name}:${tag}`;
  const entries: IndexEntry[] = [];
  for (const layout of options.layouts) {
    const descriptor = await imageDescriptor(layout);
    const name = descriptor.annotations?.['io.containerd.image.name'] ?? layout;
    const manifest = JSON.parse((await readBlob(layout, descriptor.digest)).toString('utf8')) as { config: Descriptor };
    const platform = platformOfConfig(await readBlob(layout, manifest.config.digest), name, reference);
    entries.push({ name, mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, platform });
  }
  const index = imageIndex(entries, options.annotations, reference);
  const staged = stageDirectory(options.output);
  try {
    await writeLayout(staged.path, options.layouts, index, reference, tag).catch((error: unknown) => { throw outputError(error, options.output); });
    staged.finish();
  } catch (error) {
    staged.abort();
    throw error;
  }
  options.log.info(`Index ${index.digest} (${entries.length} platforms)`);
  return index.digest;
}

async function writeLayout(dir: string, layouts: readonly string[], index: { raw: Buffer; digest: Digest }, reference: string, tag: string): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const copied = new Set<string>();
  for (const layout of layouts) {
    for (const hex of await readdir(join(layout, 'blobs', 'sha256'))) {
      if (hex.startsWith('.') || copied.has(hex)) continue;
      copied.add(hex);
      await copyFile(join(layout, 'blobs', 'sha256', hex), join(blobs, hex));
    }
  }
  await writeFile(join(blobs, hexOf(index.digest)), index.raw);
  await writeLayoutTop(dir, { mediaType: MEDIA_TYPES.ociIndex, digest: index.digest, size: index.raw.length }, reference, tag);
  await writeFile(join(dir, 'digest'), `${index.digest}\n`);
}

/** Options of pushImageIndex. */
export interface PushIndexOptions {
  /** The index layout (buildImageIndex's `oci`). */
  readonly layout: string;
  /** `host[:port]/repo[:tag]`; none means the index's own name:tag. */
  readonly destinations: readonly string[];
  readonly tlsVerify: boolean;
  readonly log: Logger;
}

/** Pushes every image of the index by digest, then the index under the tags; resolves with the index digest. */
export async function pushImageIndex(options: PushIndexOptions): Promise<Digest> {
  for (const destination of options.destinations) parseDestination(destination);
  const top = await imageDescriptor(options.layout);
  if (top.mediaType !== MEDIA_TYPES.ociIndex) throw new UserError('not-an-index', `${options.layout}: index.json names a ${top.mediaType}, not an image index; push an image with its own push`);
  const reference = top.annotations?.['io.containerd.image.name'];
  const destinations = options.destinations.length > 0 ? options.destinations : reference === undefined ? [] : [reference];
  const raw = await readBlob(options.layout, top.digest);
  const index = JSON.parse(raw.toString('utf8')) as LayoutIndex;
  for (const descriptor of index.manifests) {
    const image = await layoutImage(options.layout, descriptor.digest);
    const pushed = await pushImage(image, destinations, { tlsVerify: options.tlsVerify, byDigest: true, reuseRemoteLayers: false, log: options.log });
    if (pushed.digest !== descriptor.digest) {
      throw new UserError('index-manifest-changed', `${options.layout}: manifest ${descriptor.digest} was pushed as ${pushed.digest} (its layers are not compressed: build the images with compressor = "gz" or "zstd")`);
    }
  }
  return pushIndexManifest(raw, MEDIA_TYPES.ociIndex, destinations, { tlsVerify: options.tlsVerify, log: options.log });
}

// An image manifest of a layout as the registry sink reads it: blobs as stored, digests known.
async function layoutImage(layout: string, digest: Digest): Promise<PushableImage> {
  const manifest = JSON.parse((await readBlob(layout, digest)).toString('utf8')) as { config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> };
  const blobPath = (d: Digest) => join(layout, 'blobs', 'sha256', hexOf(d));
  return {
    layers: manifest.layers.map((layer, i) => ({
      compression: layerCompression(layer.mediaType, `${layout}: layer ${i + 1} of ${digest}`),
      // Asked for only of an uncompressed layer, whose digest it is.
      diffId: async () => layer.digest,
      open: () => createReadStream(blobPath(layer.digest)),
      digest: async () => layer.digest,
      size: async () => layer.size,
      ...(layer.annotations?.[LAYER_KEY_ANNOTATION] === undefined ? {} : { contentKey: layer.annotations[LAYER_KEY_ANNOTATION] }),
    })),
    rawConfig: () => readFile(blobPath(manifest.config.digest)),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
}

async function imageDescriptor(layout: string): Promise<Descriptor> {
  let index: LayoutIndex;
  try {
    index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as LayoutIndex;
  } catch (error) {
    throw new UserError('bad-layout', `${layout}: not an OCI layout (no readable index.json: ${(error as Error).message}); give an image's oci output`);
  }
  const first = index.manifests?.[0];
  if (index.manifests?.length !== 1 || first === undefined) throw new UserError('bad-layout', `${layout}: index.json must name exactly one manifest (an image's oci output)`);
  return first;
}

function readBlob(layout: string, digest: Digest): Promise<Buffer> {
  return readFile(join(layout, 'blobs', 'sha256', hexOf(digest)));
}
