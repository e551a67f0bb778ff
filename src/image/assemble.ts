// Puts a layered image together: base layers, store layers, the customisation layer, and the
// config that names them (format.md §2.1). The config bytes are computed once, lazily, because
// store-layer diff_ids need a pass over the store.
import type { Digest } from '../digest/digest.ts';
import type { JsonValue } from '../json/lossless.ts';
import { imageConfigBytes } from './config.ts';
import { mergeEnv } from './env-merge.ts';
import type { Image, Layer } from './types.ts';

/** A base image as read from a `fromImage` archive (see sources/docker-archive.ts). */
export interface BaseImage {
  /** Base layers, bottom to top; each `origin` is its member name. */
  readonly layers: readonly Layer[];
  /** The base config's `rootfs.diff_ids`, trusted (format.md §6). */
  readonly diffIds: readonly Digest[];
  /** The whole base image configuration (only `config.Env` is used). */
  readonly config: JsonValue;
}

/** Everything a layered image is made of. */
export interface ImageParts {
  readonly baseImage?: BaseImage | undefined;
  readonly storeLayers: readonly Layer[];
  readonly customisationLayer: Layer;
  readonly architecture: string;
  /** The CPU variant (e.g. "v8"), when the image has one. */
  readonly variant?: string;
  /** The user's `config`, numbers kept as lexemes. */
  readonly config: JsonValue;
  /** Resolved `created` string. */
  readonly created: string;
  readonly repoTag: string;
}

/** An Image whose rawConfig follows format.md §2.1 (base diff_ids first, then each layer's diffId). */
export function assembleImage(parts: ImageParts): Image {
  const base = parts.baseImage;
  if (base && base.layers.length !== base.diffIds.length) {
    throw new Error(`assembleImage: ${base.layers.length} base layers but ${base.diffIds.length} diff_ids`);
  }
  const ownLayers = [...parts.storeLayers, parts.customisationLayer];
  const layers = [...(base?.layers ?? []), ...ownLayers];
  const config = base ? mergeEnv(base.config, parts.config) : parts.config;
  let rawConfig: Promise<Buffer> | undefined;
  return {
    layers,
    repoTags: [parts.repoTag],
    rawConfig() {
      rawConfig ??= (async () => {
        const ownDiffIds: Digest[] = [];
        // Sequential on purpose: each store layer's diffId may walk the store.
        for (const layer of ownLayers) ownDiffIds.push(await layer.diffId());
        return imageConfigBytes({
          created: parts.created,
          architecture: parts.architecture,
          ...(parts.variant === undefined ? {} : { variant: parts.variant }),
          config,
          diffIds: [...(base?.diffIds ?? []), ...ownDiffIds],
          historyOrigins: layers.map((layer) => layer.origin),
        });
      })();
      return rawConfig;
    },
  };
}
