// An OCI image index (image-spec image-index.md) over images of different platforms: one
// manifest descriptor with `platform` per image, in canonical JSON like every manifest here.
// A platform is the image config's os/architecture/variant; two images of one platform, or an
// image without an architecture, are the user's mistake, said in one line naming them.
import { sha256Digest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { canonicalJsonBytes } from '../json/canonical.ts';
import { MEDIA_TYPES } from './media-types.ts';

/** A platform as indexes describe it. */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
}

/** One image of the index: its manifest's descriptor and the platform its config names. */
export interface IndexEntry {
  /** What names the image in messages (its name:tag). */
  readonly name: string;
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly platform: Platform;
}

/** The platform an image config names; `name` identifies the image in the error. */
export function platformOfConfig(rawConfig: Buffer, name: string, indexName: string): Platform {
  const config = JSON.parse(rawConfig.toString('utf8')) as { architecture?: unknown; os?: unknown; variant?: unknown };
  if (typeof config.architecture !== 'string' || config.architecture === '') {
    throw new UserError('index-no-architecture', `image index ${indexName}: image ${name} has no architecture in its config; build it with architecture = "amd64" (or "arm64", …)`);
  }
  return {
    architecture: config.architecture,
    os: typeof config.os === 'string' && config.os !== '' ? config.os : 'linux',
    ...(typeof config.variant === 'string' && config.variant !== '' ? { variant: config.variant } : {}),
  };
}

/** "os/architecture[/variant]", as docker pull --platform names it. */
export function platformName(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant === undefined ? [] : [platform.variant])].join('/');
}

/** The index's canonical bytes and digest; refuses two images of one platform. */
export function imageIndex(entries: readonly IndexEntry[], annotations: Readonly<Record<string, string>>, indexName: string): { raw: Buffer; digest: Digest } {
  if (entries.length === 0) throw new UserError('index-empty', `image index ${indexName}: no images; give images = [ … ] built for different platforms`);
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const platform = platformName(entry.platform);
    const other = seen.get(platform);
    if (other !== undefined) {
      throw new UserError('index-duplicate-platform', `image index ${indexName}: images ${other} and ${entry.name} are both ${platform}; give each platform once (set architecture/variant of one of them)`);
    }
    seen.set(platform, entry.name);
  }
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: entries.map((entry) => ({
      mediaType: entry.mediaType,
      digest: entry.digest,
      size: entry.size,
      platform: { ...entry.platform },
    })),
    ...(Object.keys(annotations).length === 0 ? {} : { annotations: { ...annotations } }),
  };
  const raw = canonicalJsonBytes(index);
  return { raw, digest: sha256Digest(raw) };
}
