// The registry sink: pushes an image to one or more `host[:port]/repo[:tag]` references over
// the distribution API, sending only the blobs a registry lacks.
//
// API
//   pushImage(image, destinations, options?): Promise<PushResult>
//     image         a PushableImage: `rawConfig()` and `layers` ({ compression, diffId(), open(),
//                   digest?(), size?() }); the image model's Image and Layer fit it as they are.
//     destinations  reference strings; several tags of one repository, several repositories,
//                   several registries. A malformed one is one UserError before any request.
//     options       PushOptions: tlsVerify (default true: https verified, SSL_CERT_FILE's CA
//                   trusted; false allows plain http and unverified TLS), base (a tag or
//                   reference whose layers may be reused), schema ('oci' | 'docker'),
//                   referrers (documents attached as OCI referrers: the SBOM), log, …
//     result        the manifest digest (one for every destination), its media type and size,
//                   and what happened to the blobs (counts).
//   parseDestination(text): ImageReference
//
// Per blob: HEAD; if absent, a cross-repository mount from a repository of the same registry
// known to hold it (another destination, the base, `mountFrom`); else an upload: a layer
// with a stored gzip blob (a buildLayer output) sends that blob; one whose compressed digest is
// not known yet (a plain tar, compressed here by compressLayer) is
// compressed while it uploads, as one chunked PATCH and a PUT with the digest computed on the
// fly. Blobs go up several at once; the manifest goes last, so a tag never names a missing
// blob. Before anything is compressed, the destination's current image (or `base`) is read:
// a local layer whose diff_id it lists is not compressed or sent again, its remote descriptor
// goes into the manifest — a cold runner pays only for the layers that changed.
// Credentials: registry/auth-files.ts; retries: registry/retry.ts.
import { PassThrough, Readable } from 'node:stream';
import { sha256Digest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { manifestAnnotations } from '../image/annotations.ts';
import { artifactManifests, type ArtifactDocument, type ArtifactManifest } from '../image/referrers.ts';
import { decompressed } from '../image/decompress.ts';
import type { LayerCompression } from '../image/types.ts';
import { silentLogger, type Logger } from '../log.ts';
import { findCredentials } from '../registry/auth-files.ts';
import { blobExists, mountBlob, putManifest, uploadBlob, type BlobId } from '../registry/blob-upload.ts';
import { RegistryClient } from '../registry/client.ts';
import { configMediaType, imageManifest, layerMediaType, type BlobDescriptor, type ManifestSchema } from '../registry/image-manifest.ts';
import { parseReference, type ImageReference } from '../registry/reference.ts';
import { remoteLayersByDiffId, type RemoteLayer } from '../registry/remote-layers.ts';
import { DEFAULT_RETRY, isRefused, isTransient, withRetries, type RetryPolicy } from '../registry/retry.ts';
import { BlobInfoCache, defaultBlobInfoDir } from '../registry/blob-info-cache.ts';
import { COMPRESSOR_ID, compressLayer } from './compress-layer.ts';
import { checkedStoredBlob, storedAs, type StoredBlob } from './stored-blob.ts';
import { LAYER_KEY_ANNOTATION } from '../conf/content-key.ts';
import { pushReferrers } from './registry-referrers.ts';

/** A layer as the push reads it. */
export interface PushableLayer {
  /** Compression of what `open()` returns; a plain tar is gzip-compressed for the registry. */
  readonly compression: LayerCompression;
  /** sha256 of the uncompressed tar (the config's diff_id). */
  diffId(): Promise<Digest>;
  /** A fresh stream of the blob. */
  open(): Readable;
  /** Digest and size of `open()`'s bytes, when cheap to know (a compressed layer): then the registry is asked before the blob is read. */
  digest?(): Promise<Digest>;
  size?(): Promise<number>;
  /**
   * A key that fixes the layer's tar bytes, known without reading them (conf/content-key.ts):
   * recorded on the pushed descriptor; a registry layer recorded with the same key is reused,
   * its diff_id handed to trustDiffId, and this layer is not read.
   */
  readonly contentKey?: string;
  trustDiffId?(diffId: Digest): void;
  /** The tar already gzip-compressed (a buildLayer output): uploaded as it is instead of compressing it. */
  readonly stored?: StoredBlob | undefined;
}

/** An image as the push reads it: the config bytes (read after the layers) and the layers, bottom to top. */
export interface PushableImage {
  readonly layers: readonly PushableLayer[];
  rawConfig(): Promise<Buffer>;
  /** The user's manifest annotations (image/annotations.ts). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** How to push. */
export interface PushOptions {
  /** Verify TLS (default true); false also allows plain http. */
  readonly tlsVerify?: boolean;
  /**
   * An image whose layers may be reused: a tag in the first destination's repository, or a full
   * reference. Without it, each destination's current tag is read.
   */
  readonly base?: string;
  /** Read the destinations' (or base's) current image to reuse its layers (default true). */
  readonly reuseRemoteLayers?: boolean;
  /** Repositories (`host/repo`) that may hold the blobs, to mount from. */
  readonly mountFrom?: readonly string[];
  /** PUT the manifest under its digest instead of the tags (an image of an index, which is tagged after). */
  readonly byDigest?: boolean;
  /** Manifest format (default 'oci'). */
  readonly schema?: ManifestSchema;
  /** Blobs sent at once (default 2: a third layer compressed at once took peak RSS past 150 MB, and two keep both cores busy). */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
  /** Idle timeout per request, milliseconds. */
  readonly timeoutMs?: number;
  /** Platform of an index the base tag may name (default linux/amd64). */
  readonly os?: string;
  readonly architecture?: string;
  readonly log?: Logger;
  /**
   * The blob-info cache directory (diff_id → compressed blob, so a push cut off midway sends
   * only what is missing next time); default $XDG_CACHE_HOME/nix-strata/blob-info, false for none.
   */
  readonly blobInfoCache?: string | false;
  /**
   * Documents (the SBOM) to attach to the pushed image in every destination repository, as OCI
   * referrers (sinks/registry-referrers.ts): after the image's tags are set.
   */
  readonly referrers?: readonly ArtifactDocument[];
  /** Where credentials and the cache are looked up (tests): environment and home directory. */
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
}

/** What a push did. */
export interface PushResult {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  /** The references pushed, as `host/repo:tag`. */
  readonly pushed: readonly string[];
  /** Blob counts over every destination. */
  readonly blobs: { uploaded: number; mounted: number; present: number; reused: number; reusedByKey: number };
}

const DESTINATION_FORM = 'host[:port]/repository[:tag], e.g. localhost:5000/app:1';

/** Parses a destination reference; a digest cannot be a destination. */
export function parseDestination(text: string): ImageReference {
  const reference = parseReference(text, 'destination', DESTINATION_FORM);
  if (reference.digest !== undefined) {
    throw new UserError('bad-reference', `destination ${JSON.stringify(text)}: a push names a tag, not a digest (the registry computes it); expected ${DESTINATION_FORM}`);
  }
  return reference;
}

/** Pushes `image` to every destination; resolves with the manifest digest once every tag is set. */
export async function pushImage(image: PushableImage, destinations: readonly string[], options: PushOptions = {}): Promise<PushResult> {
  if (destinations.length === 0) throw new UserError('no-destination', 'no destination to push to; give one as host[:port]/repository[:tag]');
  const targets = groupTargets(destinations.map(parseDestination));
  const session = new PushSession(image, options);
  for (const target of targets) await session.connect(target.registry, target.repository);
  const remote = options.reuseRemoteLayers === false ? new Map<Digest, RemoteLayer & { registry: string }>() : await session.readRemote(targets);
  await session.plan(remote);
  let manifest: ReturnType<typeof imageManifest> | undefined;
  // The same artifact manifests go to every destination: made once, with the manifest.
  let artifacts: ArtifactManifest[] | undefined;
  const pushed: string[] = [];
  for (const target of targets) {
    await session.sendBlobs(target);
    manifest ??= session.manifest();
    for (const tag of options.byDigest === true ? [manifest.digest] : target.tags) {
      const name = `${target.registry}/${target.repository}${options.byDigest === true ? '@' : ':'}${tag}`;
      const what = `manifest for ${name}`;
      await session.retrying(target.registry, what, () => putManifest(session.client(target.registry), target.repository, tag, manifest!.bytes, manifest!.mediaType, what));
      session.log.info(`pushed ${name}@${manifest.digest}`);
      pushed.push(name);
    }
    if (options.referrers !== undefined && options.referrers.length > 0) {
      const subject = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
      artifacts ??= artifactManifests(options.referrers, subject, await image.rawConfig());
      await pushReferrers({
        client: session.client(target.registry),
        repository: target.repository,
        name: `${target.registry}/${target.repository}`,
        retrying: (what, operation) => session.retrying(target.registry, what, operation),
        log: session.log,
      }, manifest.digest, artifacts);
    }
  }
  return { digest: manifest!.digest, mediaType: manifest!.mediaType, size: manifest!.bytes.length, pushed, blobs: session.counts };
}

/**
 * PUTs an image index (or any manifest whose blobs and manifests are already there) under every
 * destination's tags; resolves with its digest.
 */
export async function pushIndexManifest(bytes: Buffer, mediaType: string, destinations: readonly string[], options: PushOptions = {}): Promise<Digest> {
  const targets = groupTargets(destinations.map(parseDestination));
  const session = new PushSession({ layers: [], rawConfig: async () => Buffer.alloc(0) }, options);
  const digest = sha256Digest(bytes);
  for (const target of targets) {
    await session.connect(target.registry, target.repository);
    for (const tag of target.tags) {
      const name = `${target.registry}/${target.repository}:${tag}`;
      const what = `index for ${name}`;
      await session.retrying(target.registry, what, () => putManifest(session.client(target.registry), target.repository, tag, bytes, mediaType, what));
      session.log.info(`pushed ${name}@${digest}`);
    }
  }
  return digest;
}

interface Target {
  readonly registry: string;
  readonly repository: string;
  readonly tags: string[];
}

// Destinations grouped by repository, in the order first named: one set of blobs per repository.
function groupTargets(references: readonly ImageReference[]): Target[] {
  const targets: Target[] = [];
  for (const reference of references) {
    const tag = reference.tag ?? 'latest';
    const found = targets.find((t) => t.registry === reference.registry && t.repository === reference.repository);
    if (found === undefined) targets.push({ registry: reference.registry, repository: reference.repository, tags: [tag] });
    else if (!found.tags.includes(tag)) found.tags.push(tag);
  }
  return targets;
}

/** Where a blob can be found: a repository of a registry. */
interface BlobHome {
  readonly registry: string;
  readonly repository: string;
}

/** One blob of the manifest: its descriptor once known, how to make its bytes, and where it already is. */
interface PlannedBlob {
  readonly label: string;
  descriptor: BlobDescriptor | undefined;
  /** Opens the bytes again (undefined for a remote blob this process cannot make). */
  readonly open: (() => Readable) | undefined;
  /** The descriptor is the cache's guess: used if the registry has it, else replaced by what the upload sends. */
  tentative?: boolean;
  /** The plain layer's diff_id, to record what it became in the cache. */
  readonly diffId?: () => Promise<Digest>;
  readonly bytes?: Buffer;
  readonly homes: BlobHome[];
  /** Annotations of the descriptor an upload makes (the layer's content key). */
  readonly annotations?: Readonly<Record<string, string>>;
}

class PushSession {
  readonly log: Logger;
  readonly retry: RetryPolicy;
  /** reused counts every layer taken from the registry; reusedByKey those matched by content key, without reading them. */
  readonly counts = { uploaded: 0, mounted: 0, present: 0, reused: 0, reusedByKey: 0 };
  private readonly schema: ManifestSchema;
  private readonly resolved = new Map<string, RegistryClient>();
  private layers: PlannedBlob[] = [];
  private config: PlannedBlob | undefined;
  private readonly cache: BlobInfoCache;
  private readonly reached = new Set<string>();
  private remote: ReadonlyMap<Digest, RemoteLayer & { registry: string }> = new Map();
  private remoteByKey = new Map<string, RemoteLayer & { registry: string }>();

  constructor(private readonly image: PushableImage, private readonly options: PushOptions) {
    this.log = options.log ?? silentLogger;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.schema = options.schema ?? 'oci';
    const cacheDir = options.blobInfoCache ?? defaultBlobInfoDir(options.env ?? process.env, options.home);
    let warned = false;
    this.cache = new BlobInfoCache(cacheDir === false ? undefined : cacheDir, (message) => {
      if (!warned) this.log.info(message);
      warned = true;
    });
  }

  /** The client connect() made for a registry. */
  client(registry: string): RegistryClient {
    const client = this.resolved.get(registry);
    if (client === undefined) throw new Error(`no client for ${registry}: connect() first`);
    return client;
  }

  /** The client for a registry, made once (with its credentials) and then shared: tokens are cached in it. */
  async connect(registry: string, repository: string): Promise<RegistryClient> {
    const known = this.resolved.get(registry);
    if (known !== undefined) return known;
    const found = await findCredentials(registry, repository, this.options.env ?? process.env, this.options.home);
    const client = new RegistryClient(registry, {
      ...(this.options.tlsVerify === undefined ? {} : { tlsVerify: this.options.tlsVerify }),
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
      ...(found.credentials === undefined ? {} : { credentials: found.credentials }),
      credentialHelp: found.help,
    });
    // Two callers may have looked up the same registry at once: the first client made wins.
    const winner = this.resolved.get(registry) ?? client;
    this.resolved.set(registry, winner);
    return winner;
  }

  /**
   * Runs a registry operation with retries. A refused connection is retried only once the
   * registry has answered in this push (a restart); before that it is a wrong address, said at once.
   */
  async retrying<T>(registry: string, what: string, operation: () => Promise<T>): Promise<T> {
    const result = await withRetries(this.retry, operation,
      (error, attempt, delayMs) => this.log.info(`${what}: attempt ${attempt} failed (${error.message}); retrying in ${delayMs / 1000} s`),
      (error) => isTransient(error) && !(isRefused(error) && !this.reached.has(registry)));
    this.reached.add(registry);
    return result;
  }

  /** Layers of the base (or of each destination's current tag), by diff_id, with the registry they are in. */
  async readRemote(targets: readonly Target[]): Promise<Map<Digest, RemoteLayer & { registry: string }>> {
    const needsCompression = this.image.layers.some((layer) => layer.compression !== 'gzip' && layer.compression !== 'zstd');
    const found = new Map<Digest, RemoteLayer & { registry: string }>();
    if (!needsCompression) return found;
    const first = targets[0]!;
    const queries: Array<{ registry: string; repository: string; reference: string }> = [];
    if (this.options.base !== undefined) {
      const base = this.options.base.includes('/') ? parseReference(this.options.base, 'base image reference') : undefined;
      if (base === undefined) parseReference(`${first.registry}/${first.repository}:${this.options.base}`, 'base tag', 'a tag of the destination repository, or a full reference');
      queries.push(base === undefined
        ? { registry: first.registry, repository: first.repository, reference: this.options.base }
        : { registry: base.registry, repository: base.repository, reference: base.digest ?? base.tag ?? 'latest' });
    } else {
      for (const target of targets) queries.push({ registry: target.registry, repository: target.repository, reference: target.tags[0]! });
    }
    for (const query of queries) {
      const client = await this.connect(query.registry, query.repository);
      const what = `reading ${query.registry}/${query.repository}:${query.reference}`;
      const layers = await this.retrying(query.registry, what, () => remoteLayersByDiffId(client, {
        repository: query.repository,
        reference: query.reference,
        ...(this.options.os === undefined ? {} : { os: this.options.os }),
        ...(this.options.architecture === undefined ? {} : { architecture: this.options.architecture }),
      }));
      for (const [diffId, layer] of layers) if (!found.has(diffId)) found.set(diffId, { ...layer, registry: query.registry });
    }
    return found;
  }

  /** Decides, per layer, whether it is reused, sent as it is, or compressed while it uploads. */
  async plan(remote: ReadonlyMap<Digest, RemoteLayer & { registry: string }>): Promise<void> {
    this.remote = remote;
    this.remoteByKey = new Map();
    for (const layer of remote.values()) if (layer.key !== undefined && !this.remoteByKey.has(layer.key)) this.remoteByKey.set(layer.key, layer);
    const count = this.image.layers.length;
    const mountHomes = (this.options.mountFrom ?? []).map((text) => {
      const reference = parseReference(text, 'mount source', 'host[:port]/repository');
      return { registry: reference.registry, repository: reference.repository };
    });
    this.layers = [];
    // One layer at a time: a store layer's diff_id asked for now is a pass over its paths.
    for (const [i, layer] of this.image.layers.entries()) this.layers.push(await this.planLayer(layer, i, count, mountHomes));
  }

  private async planLayer(layer: PushableLayer, i: number, count: number, mountHomes: readonly BlobHome[]): Promise<PlannedBlob> {
    // Reused from the registry, sent as it is, or compressed while it uploads (maybe found by the cache first).
    const remote = this.remote;
    const label = `layer ${i + 1}/${count}`;
    const homes = [...mountHomes];
    if (layer.compression === 'gzip' || layer.compression === 'zstd') {
      const mediaType = layerMediaType(this.schema, layer.compression);
      if (mediaType === undefined) {
        throw new UserError('no-media-type', `${label}: a ${layer.compression}-compressed layer has no Docker schema 2 media type; push it with the OCI schema`);
      }
      // A layer read back from a layout keeps its content key, so the manifest stays the layout's.
      const keyed = layer.contentKey === undefined || this.schema !== 'oci' ? {} : { annotations: { [LAYER_KEY_ANNOTATION]: layer.contentKey } };
      const descriptor = layer.digest !== undefined && layer.size !== undefined
        ? { mediaType, digest: await layer.digest(), size: await layer.size(), ...keyed }
        : undefined;
      return { label, descriptor, open: () => layer.open(), homes };
    }
    const stored = layer.compression === 'none' ? storedAs(layer, 'gzip') : undefined;
    const open = stored !== undefined ? () => Readable.from(checkedStoredBlob(stored, label))
      : layer.compression === 'none' ? () => compressLayer(layer, 'gzip') : () => recompressed(layer, label);
    const diffId = () => layer.diffId();
    const key = layer.contentKey;
    // Docker schema 2 descriptors carry no annotations.
    const annotations = key === undefined || this.schema !== 'oci' ? undefined : { [LAYER_KEY_ANNOTATION]: key };
    const reuse = (reused: RemoteLayer & { registry: string }): PlannedBlob => {
      this.counts.reused++;
      const mediaType = layerMediaType(this.schema, reused.compression) ?? reused.mediaType;
      return {
        label,
        descriptor: { mediaType, digest: reused.digest, size: reused.size, ...(annotations === undefined ? {} : { annotations }) },
        open: undefined,
        homes: [{ registry: reused.registry, repository: reused.repository }, ...homes],
      };
    };
    // Same key as a registry layer: its blob and diff_id are taken as they are, this layer is not read
    // (the registry's record is trusted, as skopeo trusts its blob-info cache).
    const byKey = key === undefined || layer.trustDiffId === undefined ? undefined : this.remoteByKey.get(key);
    if (byKey !== undefined) {
      layer.trustDiffId!(byKey.diffId);
      this.counts.reusedByKey++;
      return reuse(byKey);
    }
    // Asking for a diff_id may cost a pass over the layer: only when there is something to match it with.
    if (remote.size > 0) {
      const reused = remote.get(await layer.diffId());
      if (reused !== undefined) return reuse(reused);
    }
    const fresh = annotations === undefined ? {} : { annotations };
    // A stored blob's descriptor is its record (checked as it uploads); the cache, which records what compressLayer makes, is not involved.
    if (stored !== undefined) return { label, descriptor: { mediaType: layerMediaType(this.schema, 'gzip')!, digest: stored.digest, size: stored.size, ...fresh }, open, homes, ...fresh };
    if (!await this.cache.isEmpty()) {
      const cached = await this.cache.get(await layer.diffId(), COMPRESSOR_ID.gzip);
      if (cached !== undefined) return { label, descriptor: { mediaType: layerMediaType(this.schema, 'gzip')!, ...cached, ...fresh }, tentative: true, open, diffId, homes, ...fresh };
    }
    return { label, descriptor: undefined, open, diffId, homes, ...fresh };
  }

  /** Puts every layer, then the config, into one repository. */
  async sendBlobs(target: Target): Promise<void> {
    const name = `${target.registry}/${target.repository}`;
    await settleAll(this.layers, this.options.concurrency ?? 2, (blob) => this.ensure(blob, target, `${blob.label} for ${name}`));
    if (this.config === undefined) {
      const bytes = await this.image.rawConfig();
      this.config = { label: 'config', descriptor: { mediaType: configMediaType(this.schema), digest: sha256Digest(bytes), size: bytes.length }, open: undefined, bytes, homes: [] };
    }
    await this.ensure(this.config, target, `config for ${name}`);
  }

  /** The manifest of the planned blobs; only once the first repository has them all. */
  manifest(): ReturnType<typeof imageManifest> {
    const config = this.config?.descriptor;
    if (config === undefined) throw new Error('manifest() before sendBlobs()');
    return imageManifest(this.schema, config, this.layers.map((blob) => blob.descriptor!), manifestAnnotations(this.image.annotations, this.config!.bytes!));
  }

  // One blob into one repository: present, mounted, or uploaded (retried as a whole).
  private async ensure(blob: PlannedBlob, target: Target, what: string): Promise<void> {
    const client = this.client(target.registry);
    const { repository } = target;
    await this.retrying(target.registry, what, async () => {
      let uploadUrl: URL | undefined;
      const known = blob.descriptor;
      if (known !== undefined) {
        if (await blobExists(client, repository, known.digest, what)) {
          this.counts.present++;
          blob.tentative = false;
          this.remember(blob, target);
          return;
        }
        for (const home of blob.homes) {
          if (home.registry !== target.registry || home.repository === repository) continue;
          const mount = await mountBlob(client, repository, known.digest, home.repository, what);
          if (mount.mounted) {
            this.counts.mounted++;
            this.log.info(`${what}: mounted ${known.digest} from ${home.repository}`);
            this.remember(blob, target);
            return;
          }
          uploadUrl ??= mount.uploadUrl;
        }
      }
      const sent = await uploadBlob(client, repository, {
        ...(blob.bytes !== undefined ? { bytes: blob.bytes } : { open: blob.open ?? await this.copier(blob, what) }),
        ...(known === undefined || blob.tentative ? {} : { expected: known }),
        ...(uploadUrl === undefined ? {} : { uploadUrl }),
      }, what);
      if (blob.descriptor === undefined || blob.tentative) {
        blob.descriptor = { mediaType: layerMediaType(this.schema, 'gzip')!, ...sent, ...(blob.annotations === undefined ? {} : { annotations: blob.annotations }) };
      }
      blob.tentative = false;
      this.counts.uploaded++;
      this.log.info(`${what}: uploaded ${sent.digest} (${sent.size} bytes)`);
      this.remember(blob, target);
      if (blob.diffId !== undefined) await this.cache.set(await blob.diffId(), COMPRESSOR_ID.gzip, sent);
    });
  }

  private remember(blob: PlannedBlob, target: Target): void {
    if (!blob.homes.some((home) => home.registry === target.registry && home.repository === target.repository)) {
      blob.homes.push({ registry: target.registry, repository: target.repository });
    }
  }

  // A reused remote blob a destination on another registry lacks: streamed from where it is.
  private async copier(blob: PlannedBlob, what: string): Promise<() => Readable> {
    const home = blob.homes.find((h) => this.resolved.has(h.registry));
    const descriptor = blob.descriptor;
    if (home === undefined || descriptor === undefined) throw new Error(`${what}: no source for the blob`);
    const stream = await this.client(home.registry).openBlob(home.repository, descriptor.digest, descriptor.size);
    return () => stream;
  }
}

// A bzip2 or xz layer: registries take neither, so it is decompressed and gzip-compressed.
function recompressed(layer: PushableLayer, label: string): Readable {
  const out = new PassThrough();
  decompressed(layer.open(), label).then(
    (tar) => compressLayer({ open: () => tar }, 'gzip').on('error', (error) => out.destroy(error)).pipe(out),
    (error: unknown) => out.destroy(error as Error),
  );
  return out;
}

// Runs `work` over `items`, `limit` at a time; after a failure no new item starts, and the
// first failure is thrown once every started item has settled (no upload outlives the push).
async function settleAll<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

export type { BlobId, BlobDescriptor, ManifestSchema, RemoteLayer };
