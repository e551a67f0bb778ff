// Puts an image together: base layers, store layers, the customisation layer, and the config
// that names them (format.md §2.1; buildImage's variant, api.md §6.3). The config bytes are
// computed once, lazily, because store-layer diff_ids need a pass over the store.
import type { Digest } from '../digest/digest.ts';
import type { JsonValue } from '../json/lossless.ts';
import { imageConfigBytes, type ConfigStyle } from './config.ts';
import { baseEnvOf, concatenatedEnv, mergeEnv } from './env-merge.ts';
import type { BaseImage, Image, Layer } from './types.ts';

/** Everything an image is made of. */
export interface ImageParts {
  readonly baseImage?: BaseImage | undefined;
  readonly storeLayers: readonly Layer[];
  /** The top layer (buildImage: its one new layer). */
  readonly customisationLayer: Layer;
  readonly architecture: string;
  /** The CPU variant (e.g. "v8"), when the image has one. */
  readonly variant?: string;
  /** The user's `config`, numbers kept as lexemes. */
  readonly config: JsonValue;
  /** Resolved `created` string. */
  readonly created: string;
  /**
   * 'layered' (default): the base's Env merged into the config, format.md §2.1's layout.
   * 'build-image': Env concatenated, buildImage's layout (api.md §6.3).
   */
  readonly style?: ConfigStyle;
}

/** An Image whose rawConfig names base diff_ids first, then each own layer's diffId. */
export function assembleImage(parts: ImageParts): Image {
  const base = parts.baseImage;
  if (base && base.layers.length !== base.diffIds.length) {
    throw new Error(`assembleImage: ${base.layers.length} base layers but ${base.diffIds.length} diff_ids`);
  }
  const style = parts.style ?? 'layered';
  const ownLayers = [...parts.storeLayers, parts.customisationLayer];
  const layers = [...(base?.layers ?? []), ...ownLayers];
  const config = style === 'build-image'
    ? concatenatedEnv(baseEnvOf(base?.config), parts.config)
    : base ? mergeEnv(base.config, parts.config) : parts.config;
  let rawConfig: Promise<Buffer> | undefined;
  return {
    layers,
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
        }, style);
      })();
      return rawConfig;
    },
  };
}
