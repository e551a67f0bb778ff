// Image manifests and indexes as registries serve them (OCI and Docker schema 2, format.md §8),
// and choosing one platform's manifest from an index.
import { parseDigest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import type { Platform } from '../image/index-manifest.ts';
import type { BlobDescriptor } from '../image/manifest.ts';
import { MEDIA_TYPES } from '../image/media-types.ts';

// The media types and the layer-type mapping live in image/; re-exported for the client's users.
export { layerCompression, MEDIA_TYPES } from '../image/media-types.ts';

/** The Accept header for manifest requests: every type this client understands. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList].join(', ');

/** A content descriptor as a registry serves it: an index entry may name its platform. */
export interface Descriptor extends BlobDescriptor {
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
}

// A platform as indexes describe it: the image model's.
export type { Platform };

/** A parsed manifest or index. */
export type ParsedManifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'manifest'; readonly mediaType: string; readonly config: Descriptor; readonly layers: readonly Descriptor[] };

/** Parses manifest bytes; `contentType` is the response's Content-Type, `where` names it for errors. */
export function parseManifest(bytes: Buffer, contentType: string | undefined, where: string): ParsedManifest {
  const fail = (why: string): never => {
    throw new UserError('bad-manifest', `${where}: ${why}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new UserError('bad-manifest', `${where}: not JSON (${(error as Error).message}); is this an image registry?`, { cause: error });
  }
  if (!isObject(json)) return fail('not a JSON object');
  if (json.schemaVersion === 1) fail('Docker schema 1 manifests are not supported; pull the image by a newer (schema 2 or OCI) digest');
  if (json.schemaVersion !== 2) fail(`unsupported schemaVersion ${JSON.stringify(json.schemaVersion)}`);
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : (contentType ?? '').split(';')[0]?.trim() ?? '';
  const isIndex = mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList ||
    (mediaType === '' && Array.isArray(json.manifests));
  if (isIndex) {
    if (!Array.isArray(json.manifests)) fail('index without a "manifests" list');
    const manifests = (json.manifests as unknown[]).map((entry, i) => descriptor(entry, `${where}: manifests[${i}]`));
    return { kind: 'index', mediaType: mediaType || MEDIA_TYPES.ociIndex, manifests };
  }
  if (mediaType !== MEDIA_TYPES.ociManifest && mediaType !== MEDIA_TYPES.dockerManifest && mediaType !== '') {
    fail(`unsupported media type ${JSON.stringify(mediaType)} (expected an OCI or Docker schema 2 image manifest or index)`);
  }
  if (!Array.isArray(json.layers)) fail('manifest without a "layers" list');
  return {
    kind: 'manifest',
    mediaType: mediaType || MEDIA_TYPES.ociManifest,
    config: descriptor(json.config, `${where}: config`),
    layers: (json.layers as unknown[]).map((entry, i) => descriptor(entry, `${where}: layers[${i}]`)),
  };
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new UserError('bad-manifest', `${where}: expected a descriptor object`);
  const { mediaType, digest, size, platform, annotations } = value;
  if (typeof mediaType !== 'string') throw new UserError('bad-manifest', `${where}.mediaType: expected a string`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new UserError('bad-manifest', `${where}.size: expected a non-negative integer`);
  const parsed: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType, digest: parseDigest(digest, `${where}.digest`), size };
  if (isObject(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    parsed.platform = {
      os: platform.os,
      architecture: platform.architecture,
      ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
    };
  }
  if (isObject(annotations)) {
    const strings = Object.entries(annotations).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    if (strings.length > 0) parsed.annotations = Object.fromEntries(strings);
  }
  return parsed;
}

/**
 * Chooses the manifest for a platform. `architecture` may carry a variant (`arm/v7`);
 * without one, the first entry for the os/architecture wins, as docker pull does.
 */
export function selectPlatform(index: readonly Descriptor[], os: string, architecture: string, where: string): Descriptor {
  const [arch, variant] = architecture.split('/', 2) as [string, string | undefined];
  const found = index.find((entry) => entry.platform !== undefined && entry.platform.os === os &&
    entry.platform.architecture === arch && (variant === undefined || entry.platform.variant === variant));
  if (found) return found;
  const available = index.flatMap((entry) => entry.platform ? [`${entry.platform.os}/${entry.platform.architecture}${entry.platform.variant ? `/${entry.platform.variant}` : ''}`] : []);
  throw new UserError('no-platform', `${where}: no manifest for ${os}/${architecture}; available: ${available.join(', ') || 'none'}; set os and arch (--os, --arch) to one of them`);
}

/** The `rootfs.diff_ids` of an image config, checked; `where` names the config for errors. */
export function configDiffIds(rawConfig: Buffer, where: string): Digest[] {
  let config: unknown;
  try {
    config = JSON.parse(rawConfig.toString('utf8'));
  } catch (error) {
    throw new UserError('bad-config', `${where}: not JSON (${(error as Error).message})`, { cause: error });
  }
  const diffIds = (config as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) throw new UserError('bad-config', `${where}: no rootfs.diff_ids list; this is not an image config`);
  return diffIds.map((value, i) => parseDigest(value, `${where}: rootfs.diff_ids[${i}]`));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
