// pullImage: an Image fetched from a registry by digest (OCI distribution API). Blobs are
// downloaded once into a directory, verified against the manifest's digests and the config's
// diff_ids, and then served from there to whatever sink writes the image.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestingStream, digestOf, hexOf, parseDigest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { decompressed } from '../image/decompress.ts';
import type { Image, Layer, LayerCompression } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { credentialsFromEnv, RegistryClient, type RegistryCredentials } from '../registry/client.ts';
import { layerCompression } from '../image/media-types.ts';
import { configDiffIds, parseManifest, selectPlatform, type Descriptor } from '../registry/manifest.ts';
import { formatReference, parseReference, type ImageReference } from '../registry/reference.ts';

/** What to pull and how. */
export interface PullImageOptions {
  /** `[registry/]repository[:tag][@digest]`. */
  readonly reference: string;
  /** Manifest or index digest; overrides any digest or tag in `reference`. */
  readonly digest?: string;
  /** Platform chosen from an index (defaults linux/amd64); `arch` may carry a variant, `arm/v7`. */
  readonly os?: string;
  readonly arch?: string;
  readonly tlsVerify?: boolean;
  /** Defaults to NIX_STRATA_REGISTRY_USERNAME / NIX_STRATA_REGISTRY_PASSWORD. */
  readonly credentials?: RegistryCredentials;
  /** Directory the layer blobs are downloaded into; it must outlive the returned Image. */
  readonly blobDir: string;
  /** Store layers uncompressed (as skopeo's docker-archive does) instead of as pulled. */
  readonly decompress?: boolean;
  readonly timeoutMs?: number;
  readonly log?: Logger;
}

/** A pulled image, with the digests it was identified by. */
export interface PulledImage extends Image {
  /** Digest of the image manifest (the platform's, when `digest` named an index). */
  readonly manifestDigest: Digest;
  /** Digest the user asked for (manifest or index). */
  readonly requestedDigest: Digest | undefined;
  readonly configDigest: Digest;
  readonly reference: ImageReference;
}

const PARALLEL_DOWNLOADS = 3;

/** Fetches manifest, config and layers; resolves once every blob is on disk and verified. */
export async function pullImage(options: PullImageOptions): Promise<PulledImage> {
  const parsed = parseReference(options.reference, 'image reference');
  const requestedDigest = options.digest !== undefined ? parseDigest(options.digest, 'image digest') : parsed.digest;
  const reference: ImageReference = { ...parsed, ...(requestedDigest ? { digest: requestedDigest } : {}) };
  const name = formatReference(reference);
  const client = new RegistryClient(reference.registry, {
    ...(options.tlsVerify !== undefined ? { tlsVerify: options.tlsVerify } : {}),
    // `nix-strata pull` is pullImage's builder: its flag, and the attribute that sets it.
    tlsVerifyOff: '--no-tls-verify (pullImage: tlsVerify = false)',
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...withCredentials(options.credentials ?? credentialsFromEnv()),
  });
  const os = options.os ?? 'linux';
  const arch = options.arch ?? 'amd64';
  const repo = reference.repository;

  let fetched = await client.getManifest(repo, reference.digest ?? reference.tag ?? 'latest');
  let manifest = parseManifest(fetched.bytes, fetched.contentType, `manifest of ${name}`);
  if (manifest.kind === 'index') {
    const chosen = selectPlatform(manifest.manifests, os, arch, `image index ${name}`);
    options.log?.info(`${name}: index, using ${os}/${arch} manifest ${chosen.digest}`);
    fetched = await client.getManifest(repo, chosen.digest);
    manifest = parseManifest(fetched.bytes, fetched.contentType, `manifest ${chosen.digest} of ${name}`);
    if (manifest.kind === 'index') throw new UserError('bad-manifest', `${name}: the ${os}/${arch} entry of the index is another index; nested indexes are not supported`);
  }
  const { config: configDescriptor, layers: layerDescriptors } = manifest;

  const rawConfig = await client.getBlob(repo, configDescriptor.digest, configDescriptor.size);
  const diffIds = configDiffIds(rawConfig, `config ${configDescriptor.digest} of ${name}`);
  if (diffIds.length !== layerDescriptors.length) {
    throw new UserError('layers-mismatch', `${name}: the manifest lists ${layerDescriptors.length} layers but its config has ${diffIds.length} rootfs.diff_ids; the image in the registry is broken`);
  }
  const compressions = layerDescriptors.map((layer, i) => layerCompression(layer.mediaType, `${name}: layers[${i}]`));

  const layers: Layer[] = new Array(layerDescriptors.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // After one failure the other workers finish their current blob but start no new one.
    while (next < layerDescriptors.length && !failed) {
      const index = next++;
      const descriptor = layerDescriptors[index]!;
      const where = `layer ${index + 1}/${layerDescriptors.length} (${descriptor.digest}) of ${name}`;
      options.log?.info(`fetching ${where}, ${descriptor.size} bytes`);
      try {
        layers[index] = await fetchLayer(client, repo, descriptor, diffIds[index]!, compressions[index]!, options, where);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Settle every worker before failing, so no download still writes into blobDir afterwards.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, layerDescriptors.length) }, worker));
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;

  return {
    layers,
    rawConfig: async () => rawConfig,
    manifestDigest: fetched.digest,
    requestedDigest,
    configDigest: configDescriptor.digest,
    reference,
  };
}

// Downloads one blob (verified by the client) and checks its uncompressed digest against diff_id.
async function fetchLayer(client: RegistryClient, repo: string, descriptor: Descriptor, diffId: Digest,
  compression: LayerCompression, options: PullImageOptions, where: string): Promise<Layer> {
  const blobPath = join(options.blobDir, hexOf(descriptor.digest));
  const partial = `${blobPath}.partial`;
  try {
    await pipeline(await client.openBlob(repo, descriptor.digest, descriptor.size), createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, blobPath);

  if (options.decompress && compression !== 'none') {
    const tarPath = join(options.blobDir, `${hexOf(diffId)}.tar`);
    const hashing = new DigestingStream();
    await pipeline(await decompressed(createReadStream(blobPath), where), hashing, createWriteStream(`${tarPath}.partial`));
    checkDiffId(hashing.digest(), diffId, where);
    await rename(`${tarPath}.partial`, tarPath);
    await rm(blobPath, { force: true });
    return fileLayer(tarPath, 'none', diffId, diffId, hashing.size, descriptor.digest);
  }
  const { digest: actual } = await digestOf(await decompressed(createReadStream(blobPath), where));
  checkDiffId(actual, diffId, where);
  return fileLayer(blobPath, compression, diffId, descriptor.digest, descriptor.size, descriptor.digest);
}

function checkDiffId(actual: Digest, expected: Digest, where: string): void {
  if (actual !== expected) {
    throw new UserError('digest-mismatch', `${where}: uncompressed content has digest ${actual}, but the image config's diff_id is ${expected}; the image in the registry is broken`);
  }
}

function fileLayer(path: string, compression: LayerCompression, diffId: Digest, digest: Digest, size: number, pulledAs: Digest): Layer {
  return {
    compression,
    origin: [pulledAs],
    diffId: async () => diffId,
    digest: async () => digest,
    size: async () => size,
    open: () => createReadStream(path),
  };
}

/** The repository part of a reference as the user wrote it (no tag, no digest): nixpkgs' default finalImageName. */
export function nameAsWritten(reference: string): string {
  const withoutDigest = reference.replace(/@.*$/, '');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

function withCredentials(credentials: RegistryCredentials | undefined): { credentials?: RegistryCredentials } {
  return credentials ? { credentials } : {};
}
