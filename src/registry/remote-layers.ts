// The layers an image already in a registry has, by diff_id: what a cold runner's repush
// reuses instead of compressing and uploading a layer again (issue 11, deliverable 5). Reads
// one manifest (the platform's, when the tag names an index) and its config.
import type { Digest } from '../digest/digest.ts';
import { LAYER_KEY_ANNOTATION } from '../conf/content-key.ts';
import { UserError } from '../errors.ts';
import type { LayerCompression } from '../image/types.ts';
import type { RegistryClient } from './client.ts';
import type { BlobId } from './blob-upload.ts';
import { configDiffIds, layerCompression, parseManifest, selectPlatform } from './manifest.ts';

/** A remote layer blob: its identity, compression, and the repository holding it. */
export interface RemoteLayer extends BlobId {
  readonly compression: LayerCompression;
  readonly mediaType: string;
  readonly repository: string;
  /** The config's diff_id at this layer's position. */
  readonly diffId: Digest;
  /** The content key the pushing nix-strata recorded (annotation LAYER_KEY_ANNOTATION), if any. */
  readonly key?: string;
}

/** Where to look and for which platform. */
export interface RemoteLayersQuery {
  readonly repository: string;
  /** A tag or a digest. */
  readonly reference: string;
  readonly os?: string;
  readonly architecture?: string;
}

/**
 * The remote image's layers keyed by diff_id; empty when the repository or tag does not exist
 * yet (a first push). Layers in a compression registries do not serve are left out.
 */
export async function remoteLayersByDiffId(client: RegistryClient, query: RemoteLayersQuery): Promise<Map<Digest, RemoteLayer>> {
  const { repository } = query;
  const name = `${client.registry}/${repository}:${query.reference}`;
  let fetched;
  try {
    fetched = await client.getManifest(repository, query.reference);
  } catch (error) {
    if (error instanceof UserError && error.code === 'registry-not-found') return new Map();
    throw error;
  }
  let manifest = parseManifest(fetched.bytes, fetched.contentType, `manifest of ${name}`);
  if (manifest.kind === 'index') {
    const chosen = selectPlatform(manifest.manifests, query.os ?? 'linux', query.architecture ?? 'amd64', `image index ${name}`);
    const inner = await client.getManifest(repository, chosen.digest);
    manifest = parseManifest(inner.bytes, inner.contentType, `manifest ${chosen.digest} of ${name}`);
    if (manifest.kind === 'index') return new Map();
  }
  const rawConfig = await client.getBlob(repository, manifest.config.digest, manifest.config.size);
  const diffIds = configDiffIds(rawConfig, `config ${manifest.config.digest} of ${name}`);
  const layers = new Map<Digest, RemoteLayer>();
  // A broken remote image (counts differ) offers nothing safe to reuse.
  if (diffIds.length !== manifest.layers.length) return layers;
  manifest.layers.forEach((layer, i) => {
    let compression: LayerCompression;
    try {
      compression = layerCompression(layer.mediaType, name);
    } catch (error) {
      if (error instanceof UserError) return;
      throw error;
    }
    const key = layer.annotations?.[LAYER_KEY_ANNOTATION];
    layers.set(diffIds[i]!, { digest: layer.digest, size: layer.size, mediaType: layer.mediaType, compression, repository, diffId: diffIds[i]!, ...(key === undefined ? {} : { key }) });
  });
  return layers;
}
